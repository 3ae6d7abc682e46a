package dev.evomerge.cli;

import dev.evomerge.cluster.ClusterEvaluator;
import dev.evomerge.cluster.ClusterOptions;
import dev.evomerge.cluster.ClusterSecret;
import dev.evomerge.cluster.RunSpec;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.evolve.EvolutionLauncher;
import dev.evomerge.evolve.EvolutionRun;
import dev.evomerge.evolve.EvolveOptions;
import dev.evomerge.evolve.ResumedOptions;
import dev.evomerge.evolve.genome.GeneLayout;
import dev.evomerge.evolve.llm.LlmExchange;
import dev.evomerge.evolve.llm.LlmPrice;
import dev.evomerge.evolve.run.CandidateEvaluator;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.EvolutionListener;
import dev.evomerge.evolve.run.GenerationStats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code evomerge evolve}: LLM-Evo-Merge's evolutionary merge, with its options, plus evomerge's (docs/evolution.md). */
@Command(name = "evolve", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Search for the best merge recipe: propose genomes, merge, evaluate, keep what scores well, repeat.")
final class EvolveCommand implements Callable<Integer> {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "GENOME", description = "The genome file (the seed's YAML: genome, tasks, ...).")
    Path genomeFile;

    @Option(names = "--storage-path", required = true, description = "Where the run lives: run.db, best_config.yaml, final_model/.")
    Path storage;
    @Option(names = "--optimizer", defaultValue = "llm", description = "llm (default), cmaes or random.")
    String optimizer;
    @Option(names = "--max-generation", defaultValue = "10", description = "Generations after the initial population (default: ${DEFAULT-VALUE}).")
    int maxGeneration;
    @Option(names = {"--max-evaluations", "--max-fevals"}, description = "Stop once this many candidates have been evaluated.")
    Integer maxEvaluations;
    @Option(names = "--sigma-low", defaultValue = "0.05", description = "llm: sampling sigma after an improvement (default: ${DEFAULT-VALUE}).")
    double sigmaLow;
    @Option(names = "--sigma-high", defaultValue = "0.2", description = "llm: sampling sigma otherwise (default: ${DEFAULT-VALUE}).")
    double sigmaHigh;
    @Option(names = "--max-retries", defaultValue = "3", description = "llm: attempts per generation for a usable reply (default: ${DEFAULT-VALUE}).")
    int maxRetries;
    @Option(names = "--max-fallbacks", defaultValue = "3", description = "llm: stop (exit 1) after this many generations in a row "
            + "without a usable reply; 0 = never (default: ${DEFAULT-VALUE}).")
    int maxFallbacks;
    @Option(names = "--api-key", description = "LLM API key (else OPENAI_API_KEY). Never stored.")
    String apiKey;
    @Option(names = "--llm-model", defaultValue = "gpt-4o", description = "Chat model, or local:DIR for a local instruct model (default: ${DEFAULT-VALUE}).")
    String llmModel;
    @Option(names = "--llm-base-url", description = "OpenAI-compatible endpoint (default: https://api.openai.com/v1).")
    String llmBaseUrl;
    @Option(names = "--top-k", defaultValue = "4", description = "llm: genomes shown per generation (default: ${DEFAULT-VALUE}).")
    int topK;
    @Option(names = "--llm-history", defaultValue = "0", description = "llm: messages of history sent after the system prompt; 0 = all.")
    int llmHistory;
    @Option(names = "--llm-max-context-tokens", paramLabel = "TOKENS", description = "llm: token budget of the conversation;"
            + " the oldest generations are trimmed to fit (default: the local model's context, else 32768).")
    Integer llmMaxContextTokens;
    @Option(names = "--llm-price-per-mtok", paramLabel = "IN,OUT", description = "llm: prices of a million prompt and"
            + " completion tokens, to estimate the run's cost (e.g. 2.5,10).")
    String llmPricePerMtok;
    @Option(names = "--elitism", description = "Put the best genome back into every population.")
    boolean elitism;
    @Option(names = {"-s", "--strategy"}, defaultValue = "pool", description = "pool, buffered or serial (default: ${DEFAULT-VALUE}).")
    String strategy;
    @Option(names = "--in-memory", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Merge into a resident model's weights (default); --no-in-memory writes each merge to disk.")
    boolean inMemory;
    @Option(names = "--num-workers", defaultValue = "1", description = "Evaluation slots in this process (default: ${DEFAULT-VALUE}).")
    int numWorkers;
    @Option(names = "--backend", defaultValue = "embedded", description = "embedded or openai-completions (default: ${DEFAULT-VALUE}).")
    String backend;
    @Option(names = "--eval-server-cmd", description = "openai-completions: server command with {model} and {port}, started per candidate.")
    String evalServerCmd;
    @Option(names = {"--task-search-path", "--include-path"}, description = "Extra folder of task YAMLs (repeatable).")
    List<Path> taskSearchPaths = new ArrayList<>();
    @Option(names = "--data-dir", description = "Local root of hub datasets (else EVOMERGE_DATA).")
    Path dataDir;
    @Option(names = "--batch-size", defaultValue = "16", description = "Evaluation batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;
    @Option(names = "--random-seed", defaultValue = "0", description = "Seed of every random draw (default: ${DEFAULT-VALUE}).")
    long randomSeed;
    @Option(names = "--force-population-size", description = "Population size of every generation (default 4 + round(3 ln N)).")
    Integer forcePopulationSize;
    @Option(names = "--save-final-model", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Merge the best recipe into STORAGE/final_model at the end (default).")
    boolean saveFinalModel;
    @Option(names = "--resume", description = "Continue the run in --storage-path from its last completed generation.")
    boolean resume;
    @Option(names = {"-j", "--threads"}, description = "Threads per evaluation slot (default: all cores).")
    Integer threads;
    @Option(names = "--allow-crimes", description = "Allow merging different architectures.")
    boolean allowCrimes;
    @Option(names = "--i-understand-the-depths-of-the-evils-i-am-unleashing", description = "Allow benchmark tasks as fitness.")
    boolean evils;
    @Option(names = "--quiet", description = "No progress bars, and no lines about LLM retries, corrections and fallbacks.")
    boolean quiet;
    @Option(names = "--cluster-name", description = "Evaluate on a Hazelcast cluster of `evomerge worker` members with this name.")
    String clusterName;
    @Option(names = "--members", split = ",", description = "Cluster members host:port,... (with --cluster-name).")
    List<String> members = new ArrayList<>();
    @Option(names = "--bind", defaultValue = "127.0.0.1", description = "Cluster address to bind (default: ${DEFAULT-VALUE}).")
    String bind;
    @Option(names = "--port", converter = PortConverter.class, defaultValue = "5701", description = "Cluster port (default: ${DEFAULT-VALUE}).")
    int port;
    @Option(names = "--allow-public-bind", description = "Allow binding the cluster to a wildcard address.")
    boolean allowPublicBind;
    @Option(names = "--cluster-secret-file", paramLabel = "PATH", description = "Cluster: file holding the cluster secret "
            + "(else $EVOMERGE_CLUSTER_SECRET); required unless bound to loopback.")
    Path clusterSecretFile;
    @Option(names = "--eval-timeout", defaultValue = "3600", description = "Cluster: seconds before a candidate is retried elsewhere (default: ${DEFAULT-VALUE}).")
    long evalTimeout;
    @Option(names = "--min-workers", defaultValue = "1", description = "Cluster: workers to wait for before starting (default: ${DEFAULT-VALUE}).")
    int minWorkers;
    @Option(names = "--sigma0", description = "cmaes: initial step size on the [0, 1] genes (default 1/6).")
    Double sigma0;
    @Option(names = "--timeout", paramLabel = "SECONDS", description = "Local: seconds one candidate may take before it is recorded as failed (default: none).")
    Long timeout;
    @Mixin
    MergekitEvolveOptions mergekitEvolve;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        mergekitEvolve.check(w -> err.println("evomerge: warning: " + w));
        checkClusterOptions();
        EvolveOptions given = new EvolveOptions(genomeFile, storage, maxGeneration, sigmaLow, sigmaHigh, maxRetries, apiKey,
                llmModel, llmBaseUrl, topK, llmHistory, elitism, optimizer, strategy, inMemory, taskSearchPaths, dataDir,
                batchSize, randomSeed, forcePopulationSize, saveFinalModel, evils, maxEvaluations, resume, numWorkers,
                backend, evalServerCmd, threads == null ? Runtime.getRuntime().availableProcessors() : threads, allowCrimes,
                sigma0, timeout, maxFallbacks, llmMaxContextTokens, llmPricePerMtok);
        // A resumed run keeps its stored options unless given again; each change is printed once the new values
        // passed prepare()'s checks (a refused value is named by its error, not announced as a change).
        List<String> changes = new ArrayList<>();
        EvolveOptions o = ResumedOptions.of(given, spec.commandLine().getParseResult()::hasMatchedOption, changes::add);
        EvolutionLauncher launcher = new EvolutionLauncher(o, w -> err.println("evomerge: warning: " + w));
        EvolutionLauncher.Prepared p = launcher.prepare();
        changes.forEach(change -> err.println("evomerge: resume: " + change));
        GeneLayout l = p.genome().layout();
        out.printf(Locale.ROOT, "evolving %s: genome %s = %d genes, population %d, optimizer %s%s%n", genomeFile,
                l.dimensionsText(), l.size(), p.populationSize(), o.optimizer(),
                p.firstGeneration() > 0 ? ", resuming at generation " + p.firstGeneration() : "");
        out.flush();
        EvolutionRun.Result r = launcher.run(p, prepared -> evaluator(launcher, prepared, err), listener(out, err, new LlmTally(LlmPrice.parse(o.llmPricePerMtok()))));
        printResult(out, p, r, o.saveFinalModel());
        return 0;
    }

    /** The cluster's options are checked before anything is written (the cluster itself starts after run.db exists). */
    private void checkClusterOptions() {
        if (clusterName == null) {
            return;
        }
        clusterOptions();
        if (evalTimeout < 1) {
            throw EvomergeException.usage("--eval-timeout must be at least 1 second, got " + evalTimeout + ".");
        }
        if (minWorkers < 1) {
            throw EvomergeException.usage("--min-workers must be at least 1, got " + minWorkers + ".");
        }
        if (timeout != null) {
            throw EvomergeException.usage("--timeout bounds evaluations in this process; on a cluster use --eval-timeout.");
        }
    }

    /** The secret is read from its file or the environment, never stored with the run's options. */
    private ClusterOptions clusterOptions() {
        return new ClusterOptions(clusterName, members, bind, port, allowPublicBind, ClusterSecret.resolve(clusterSecretFile, System.getenv()));
    }

    private CandidateEvaluator evaluator(EvolutionLauncher launcher, EvolutionLauncher.Prepared p, PrintWriter err) {
        if (clusterName == null) {
            return launcher.localEvaluator(p);
        }
        List<String> inputs = new ArrayList<>(p.settings().modelPaths());
        inputs.addAll(p.settings().includePaths());
        RunSpec spec = new RunSpec(storage.toAbsolutePath() + "#" + ProcessHandle.current().pid(),
                Map.of("settings", p.settings().toJson()), inputs);
        ClusterEvaluator ce = new ClusterEvaluator(clusterOptions(),
                spec, Duration.ofSeconds(evalTimeout), 2, m -> err.println("evomerge: cluster: " + m));
        try {
            err.println("evomerge: cluster: waiting for " + minWorkers + " worker(s)...");
            err.flush();
            while (!ce.awaitWorkers(minWorkers, Duration.ofSeconds(30))) {
                err.println("evomerge: cluster: still waiting for workers (" + ce.workers() + " of " + minWorkers + ")");
                err.flush();
            }
        } catch (InterruptedException e) {
            ce.close();
            Thread.currentThread().interrupt();
            throw EvomergeException.runtime("Interrupted while waiting for cluster workers.", e);
        }
        return ce;
    }

    private EvolutionListener listener(PrintWriter out, PrintWriter err, LlmTally llm) {
        boolean bars = ProgressBar.enabledFor(quiet);
        return new EvolutionListener() {
            ProgressBar bar;
            /** The candidates of the current generation evaluated by this process so far. */
            final List<Evaluation> done = new ArrayList<>();

            @Override
            public void generationStarted(int generation, int candidates, int alreadyEvaluated) {
                synchronized (done) {
                    done.clear();
                }
                bar = new ProgressBar(out, "generation " + generation, candidates, "candidates", bars)
                        .suffix(() -> {
                            GenerationStats s;
                            synchronized (done) {
                                s = GenerationStats.of(generation, done, Double.NaN);
                            }
                            String scores = s.scored() ? String.format(Locale.ROOT, "best %.4f mean %.4f", s.best(), s.mean()) : "";
                            String tokens = llm.tokens();
                            return scores.isEmpty() || tokens.isEmpty() ? scores + tokens : scores + ", " + tokens;
                        });
                bar.step(alreadyEvaluated);
            }

            @Override
            public void candidateDone(Evaluation e) {
                synchronized (done) {
                    done.add(e);
                }
                bar.step(1);
            }

            @Override
            public void llmExchange(LlmExchange x) {
                String line = llm.notice(x);
                if (line != null && !quiet) {
                    err.println("evomerge: llm: " + line);
                    err.flush();
                }
            }

            @Override
            public void generationDone(GenerationStats s) {
                bar.close();
                if (!bars) {
                    String tokens = llm.tokens();
                    out.printf(Locale.ROOT, "generation %d: best %.4f, mean %.4f, best so far %.4f%s%n", s.generation(), s.best(),
                            s.mean(), s.bestSoFar(), tokens.isEmpty() ? "" : ", " + tokens);
                    out.flush();
                }
            }
        };
    }

    private void printResult(PrintWriter out, EvolutionLauncher.Prepared p, EvolutionRun.Result r, boolean saveFinalModel) {
        if (r.best() == null) {
            out.println("No candidate produced a score; see the errors in " + storage.resolve("run.db") + ".");
            return;
        }
        out.printf(Locale.ROOT, "%nbest fitness %.6f (generation %d, candidate %d) after %d evaluations%n", r.best().score(),
                r.best().candidate().generation(), r.best().candidate().index(), r.evaluations());
        r.best().metrics().forEach((k, v) -> out.printf(Locale.ROOT, "  %-40s %.4f%n", k.text(), v));
        out.println();
        out.print(RecipeTable.render(p.genome(), r.best().candidate().genes()));
        out.println();
        out.println("recipe: " + storage.resolve("best_config.yaml") + (saveFinalModel ? "; model: " + storage.resolve("final_model") : ""));
        out.flush();
    }
}
