package dev.evomerge.cli;

import dev.evomerge.cluster.ClusterEvaluator;
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
final class EvolveCommand extends CliCommand implements Callable<Integer> {

    /** The coordinator's default cluster port (workers default to the next one). */
    static final int COORDINATOR_PORT = 5701;

    @Parameters(index = "0", paramLabel = "GENOME", description = "The genome file (YAML with genome:, tasks: and optional evolution settings, as LLM-Evo-Merge reads it).")
    Path genomeFile;

    @Option(names = "--storage-path", required = true, description = "Where the run lives: run.db, best_config.yaml, final_model/.")
    Path storage;
    @Mixin
    SearchCliOptions search;
    @Mixin
    LlmCliOptions llm;
    @Mixin
    EvaluationCliOptions evaluation;
    @Option(names = "--save-final-model", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Merge the best recipe into STORAGE/final_model at the end (default).")
    boolean saveFinalModel;
    @Option(names = "--resume", description = "Continue the run in --storage-path from its last completed generation.")
    boolean resume;
    @Mixin
    AllowCrimesOption crimes;
    @Option(names = "--i-understand-the-depths-of-the-evils-i-am-unleashing", description = "Allow benchmark tasks as fitness.")
    boolean evils;
    @Mixin
    RunProgressOptions progress;
    @Mixin
    ClusterCliOptions cluster;
    @Mixin
    CoordinatorCliOptions coordinator;
    @Mixin
    MergekitEvolveOptions mergekitEvolve;
    @Mixin
    FitnessCliOptions fitness;

    @Override
    public Integer call() throws Exception {
        mergekitEvolve.check(this::warn);
        checkClusterOptions();
        EvolveOptions given = new EvolveOptions(genomeFile, storage, resume, search.options(), llm.options(),
                evaluation.options(), saveFinalModel, crimes.allowed, evils, fitness.options());
        // A resumed run keeps its stored options unless given again; each change is printed once the new values
        // passed prepare()'s checks (a refused value is named by its error, not announced as a change).
        List<String> changes = new ArrayList<>();
        EvolveOptions o = ResumedOptions.of(given, spec.commandLine().getParseResult()::hasMatchedOption, changes::add);
        EvolutionLauncher launcher = new EvolutionLauncher(o, this::warn);
        EvolutionLauncher.Prepared p = launcher.prepare();
        changes.forEach(change -> err().println("evomerge: resume: " + change));
        GeneLayout l = p.genome().layout();
        out().printf(Locale.ROOT, "evolving %s: genome %s = %d genes, population %d, optimizer %s%s%n", genomeFile,
                l.dimensionsText(), l.size(), p.populationSize(), o.search().optimizer(),
                p.firstGeneration() > 0 ? ", resuming at generation " + p.firstGeneration() : "");
        out().flush();
        EvolutionRun.Result r = launcher.run(p, prepared -> evaluator(launcher, prepared, err()), listener(out(), err(), new LlmTally(LlmPrice.parse(o.llm().pricePerMtok()))));
        printResult(out(), p, r, o.saveFinalModel());
        return 0;
    }

    /** The cluster's options are checked before anything is written (the cluster itself starts after run.db exists). */
    private void checkClusterOptions() {
        if (!cluster.given()) {
            return;
        }
        cluster.options(COORDINATOR_PORT);
        coordinator.check();
        if (evaluation.timeout != null) {
            throw EvomergeException.usage("--timeout bounds evaluations in this process; on a cluster use --eval-timeout.");
        }
    }

    private CandidateEvaluator evaluator(EvolutionLauncher launcher, EvolutionLauncher.Prepared p, PrintWriter err) {
        if (!cluster.given()) {
            return launcher.localEvaluator(p);
        }
        List<String> inputs = new ArrayList<>(p.settings().modelPaths());
        inputs.addAll(p.settings().includePaths());
        RunSpec spec = new RunSpec(storage.toAbsolutePath() + "#" + ProcessHandle.current().pid(),
                Map.of("settings", p.settings().toJson()), inputs);
        ClusterEvaluator ce = new ClusterEvaluator(cluster.options(COORDINATOR_PORT),
                spec, coordinator.evalTimeout(), 2, m -> err.println("evomerge: cluster: " + m));
        int minWorkers = coordinator.minWorkers;
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
        boolean bars = progress.progressBars();
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
                progress.llmExchange(llm, x, err);
            }

            @Override
            public void fitnessNote(String line) {
                if (!bars) {
                    out.println(line);
                    out.flush();
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
