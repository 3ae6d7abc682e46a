package dev.evomerge.evolve;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.OutputFolders;
import dev.evomerge.core.io.Reasons;
import dev.evomerge.core.model.ModelDirectory;
import dev.evomerge.eval.data.DatasetLoader;
import dev.evomerge.eval.task.TaskCatalog;
import dev.evomerge.evolve.dataflow.DataFlowDefinition;
import dev.evomerge.evolve.dataflow.DataFlowSetup;
import dev.evomerge.evolve.dataflow.ResidentMerge;
import dev.evomerge.evolve.dataflow.SearchPhases;
import dev.evomerge.evolve.dataflow.SearchSpace;
import dev.evomerge.evolve.genome.EvolveConfig;
import dev.evomerge.evolve.fitness.EstimatingEvaluator;
import dev.evomerge.evolve.fitness.FitnessEstimatorKind;
import dev.evomerge.evolve.fitness.FitnessPlan;
import dev.evomerge.evolve.fitness.FitnessRun;
import dev.evomerge.evolve.fitness.GenomeFitnessKeys;
import dev.evomerge.evolve.genome.Genome;
import dev.evomerge.evolve.genome.GenomeDefinition;
import dev.evomerge.evolve.genome.TaskSpec;
import dev.evomerge.evolve.llm.ChatClient;
import dev.evomerge.evolve.llm.ChatClients;
import dev.evomerge.evolve.llm.ContextBudget;
import dev.evomerge.evolve.llm.FallbackLimit;
import dev.evomerge.evolve.llm.LlmEvolutionStrategy;
import dev.evomerge.evolve.llm.LlmExchange;
import dev.evomerge.evolve.llm.LlmPrice;
import dev.evomerge.evolve.llm.Secrets;
import dev.evomerge.evolve.local.EvaluationBackend;
import dev.evomerge.evolve.local.EvaluationSettings;
import dev.evomerge.evolve.local.LocalEvaluator;
import dev.evomerge.evolve.optimizer.CmaEs;
import dev.evomerge.evolve.pool.ServerPoolEvaluator;
import dev.evomerge.evolve.pool.ServerPools;
import dev.evomerge.evolve.optimizer.Optimizer;
import dev.evomerge.evolve.optimizer.Population;
import dev.evomerge.evolve.optimizer.RandomSearch;
import dev.evomerge.evolve.optimizer.RandomStreams;
import dev.evomerge.evolve.run.CandidateEvaluator;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.EvolutionListener;
import dev.evomerge.evolve.store.RunMeta;
import dev.evomerge.evolve.store.RunStore;
import dev.evomerge.evolve.store.StoredLayout;
import dev.evomerge.merge.MergeReporter;
import dev.evomerge.merge.MergeSession;
import dev.evomerge.merge.config.MergeConfig;
import dev.evomerge.merge.config.ModelReference;
import dev.evomerge.merge.input.ModelCatalog;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Assembles and runs an evolution from {@link EvolveOptions}: reads and validates the genome file, opens (or resumes)
 * the run store, builds the optimizer and the evaluator, runs the generations and merges the final model. Prints
 * nothing: warnings and progress go to the callbacks the CLI hands in.
 */
public final class EvolutionLauncher {

    /** Everything decided before the first generation, for the CLI to show and for the evaluator factory. */
    public record Prepared(EvolveConfig config, Genome genome, EvaluationSettings settings, int populationSize,
                           int firstGeneration, ChatClient chat) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final EvolveOptions o;
    private final SearchOptions search;
    private final LlmOptions llm;
    private final CandidateEvaluationOptions evaluation;
    private final Consumer<String> warnings;
    private ObjectiveOptions objectiveOptions = ObjectiveOptions.NONE;
    private ParetoSetup pareto;
    /** The fitness prepare() resolved and checked (whole-task fitness unless an estimator was chosen). */
    private FitnessPlan fitness;
    /** --space as given (null: dfs when the genome file has a data_flow section, else ps); see evolve/dataflow. */
    private SearchSpace space;
    private DataFlowDefinition dataFlowDefinition;
    private DataFlowSetup dataFlow;

    public EvolutionLauncher(EvolveOptions options, Consumer<String> warnings) {
        this.o = options;
        this.search = options.search();
        this.llm = options.llm();
        this.evaluation = options.evaluation();
        this.warnings = warnings;
    }

    /** Several objectives ({@code --objectives}, {@code --llm-means}) for {@link #prepare()}; none by default. */
    public EvolutionLauncher objectives(ObjectiveOptions given) {
        this.objectiveOptions = given;
        return this;
    }

    /** What to search (--space); call before {@link #prepare()}. Null means: as the genome file says. */
    public EvolutionLauncher space(SearchSpace s) {
        this.space = s;
        return this;
    }

    /** The search space prepare() settled on. */
    public SearchSpace space() {
        return space == null ? SearchSpace.PS : space;
    }

    /** The data-flow search of a dfs run (of phase 2 of a ps+dfs run once it starts), null for ps. */
    public DataFlowSetup dataFlow() {
        return dataFlow;
    }

    /** Validates everything that needs no model data; fails with one sentence before any file is written. */
    public Prepared prepare() {
        checkOptions();
        OutputFolders.requireCreatable(o.storage(), "--storage-path " + o.storage());
        EvolveConfig config = EvolveConfig.load(o.genomeFile(), warnings);
        List<String> benchmarks = config.benchmarkTaskNames();
        if (!benchmarks.isEmpty()) {
            if (!o.allowBenchmarkTasks()) {
                throw EvomergeException.usage("Task(s) " + String.join(", ", benchmarks) + " look like public benchmarks; "
                        + "evolving against a test set overfits it. Use a training split (a task name ending in _train) or pass "
                        + "--i-understand-the-depths-of-the-evils-i-am-unleashing.");
            }
            warnings.accept("evolving against benchmark task(s) " + String.join(", ", benchmarks) + ": their scores will be optimistic.");
        }
        // Relative model paths resolve against the working directory, as in `evomerge merge` and mergekit.
        Path baseDir = Path.of("").toAbsolutePath();
        GenomeDefinition def = config.genome();
        Map<String, String> modelDirs = new LinkedHashMap<>();
        List<String> modelPaths = new ArrayList<>();
        for (String m : def.models()) {
            modelPaths.add(resolveModel(baseDir, m, "genome.models", modelDirs));
        }
        String base = def.baseModel() == null ? null : resolveModel(baseDir, def.baseModel(), "genome.base_model", modelDirs);
        if (base != null && !modelPaths.contains(base)) {
            modelPaths.add(base);
        }
        String tokenizerModel = tokenizerModel(def.tokenizerSource());
        if (tokenizerModel != null) {
            String t = resolveModel(baseDir, tokenizerModel, "genome.tokenizer_source", modelDirs);
            if (!modelPaths.contains(t)) {
                modelPaths.add(t);
            }
        }
        int numLayers = ModelDirectory.open(Path.of(modelPaths.get(0))).config().numLayers();
        Genome genome = new Genome(def, numLayers);
        dataFlowDefinition = DataFlowDefinition.read(o.genomeFile(), warnings).orElse(null);
        SearchSpace stored = storedSpace();
        if (space != null && stored != null && space != stored) {
            throw EvomergeException.usage("--resume: the run in " + o.storage() + " searches --space " + stored + ", not "
                    + space + ".");
        }
        space = space != null ? space : stored != null ? stored
                : dataFlowDefinition != null ? SearchSpace.DFS : SearchSpace.PS;
        if (space.dataFlow()) {
            dataFlowDefinition = dataFlowDefinition != null ? dataFlowDefinition : DataFlowDefinition.defaults();
            List<String> sourceDirs = modelPaths.subList(0, def.models().size());
            if (space == SearchSpace.DFS) {
                dataFlow = DataFlowSetup.of(dataFlowDefinition, def.models(), sourceDirs.stream().map(Path::of).toList());
            }
        } else if (dataFlowDefinition != null) {
            warnings.accept(o.genomeFile() + ": the data_flow section is not used with --space ps.");
        }
        int population = search.forcePopulationSize() != null ? search.forcePopulationSize()
                : Population.defaultSize(dataFlow != null ? dataFlow.genome().size() : genome.layout().size());
        pareto = ParetoSetup.resolve(objectiveOptions, o, config, warnings);
        if (pareto != null) {
            if (space.dataFlow()) {
                // the multi-objective loop decodes merge recipes; a data-flow path's own objective (layers) is not built
                throw EvomergeException.usage("--objectives works with --space ps only, got --space " + space + ".");
            }
            population = pareto.populationSize(population, genome);
        }
        ServerPools.check(evaluation.serverPool(), evaluation.evalServerCmd());
        if (evaluation.serverPool().enabled() && space.dataFlow()) {
            // a data-flow path is evaluated by re-pointing resident layers; a server would need the exported model
            throw EvomergeException.usage("--space " + space + " evaluates layer paths in memory: --eval-server is for"
                    + " --space ps.");
        }
        if (evaluation.backend() == EvaluationBackend.OPENAI_COMPLETIONS && !evaluation.serverPool().enabled()) {
            String command = evaluation.evalServerCmd();
            if (evaluation.inMemory()) {
                throw EvomergeException.usage("--backend openai-completions evaluates a merged model on disk: add --no-in-memory.");
            }
            if (command == null || !command.contains("{model}") || !command.contains("{port}")) {
                throw EvomergeException.usage("--backend openai-completions needs --eval-server-cmd with {model} and {port}, "
                        + "e.g. \"vllm serve {model} --port {port}\".");
            }
        }
        if (search.sigma0() != null && search.optimizer() != OptimizerKind.CMAES) {
            throw EvomergeException.usage("--sigma0 is CMA-ES's initial step size: use it with --optimizer cmaes (the llm "
                    + "strategy samples with --sigma-low and --sigma-high).");
        }
        LocalEvaluator.checkStrategy(evaluation.strategy(), evaluation.inMemory());
        int first = firstGeneration();
        List<String> includes = evaluation.taskSearchPaths().stream().map(p -> p.toAbsolutePath().toString()).toList();
        // The data root as this process sees it (--data-dir, else EVOMERGE_DATA), sent as is to cluster workers.
        Path dataRoot = DatasetLoader.dataRoot(Optional.ofNullable(evaluation.dataDir())).orElse(null);
        EvaluationSettings settings = new EvaluationSettings(config.tasks(), includes,
                dataRoot == null ? null : dataRoot.toAbsolutePath().toString(), config.limit(), config.numFewshot(),
                evaluation.batchSize(), config.applyChatTemplate(), evaluation.inMemory(), evaluation.backend(),
                evaluation.evalServerCmd(), Math.max(1, evaluation.threads()), search.randomSeed(),
                o.storage().toAbsolutePath().toString(), baseDir.toString(), base != null ? base : modelPaths.get(0),
                modelPaths, config.shuffle(), modelDirs, o.allowCrimes());
        // Unknown tasks or missing task data fail now, before the run store exists.
        TaskCatalog.load(includes.stream().map(Path::of).toList(), warnings)
                .select(config.tasks().stream().map(TaskSpec::name).distinct().toList());
        fitness = FitnessPlan.prepare(o.fitness(), GenomeFitnessKeys.read(o.genomeFile()), settings, warnings);
        if (fitness != null && fitness.kind() != FitnessEstimatorKind.FULL && space.dataFlow()) {
            // calibration runs the input models as merge recipes; a data-flow search has no such calibration yet
            throw EvomergeException.usage("--space " + space + " needs --fitness-estimator full, got --fitness-estimator "
                    + fitness.kind().text() + ".");
        }
        if (fitness != null && fitness.kind() != FitnessEstimatorKind.FULL && evaluation.serverPool().enabled()) {
            throw EstimatingEvaluator.localOnly(fitness.kind()); // the server pool scores whole tasks only
        }
        if (pareto != null && fitness != null && fitness.kind() != FitnessEstimatorKind.FULL) {
            // a front member's objectives must be measured, and the estimators' final whole-task check picks one best
            throw EvomergeException.usage("--objectives needs --fitness-estimator full: a Pareto front of estimated"
                    + " scores is not supported, got --fitness-estimator " + fitness.kind().text() + ".");
        }
        ChatClient chat = null;
        if (search.optimizer() == OptimizerKind.LLM) {
            FallbackLimit.requireValid(llm.maxFallbacks());
            chat = ChatClients.create(llm.model(), llm.baseUrl(), llm.apiKey());
            chat.check(); // a wrong key, model or URL stops here, before the run store exists
        }
        return new Prepared(config, genome, settings, population, first, chat);
    }

    /**
     * The directory of a genome model, checked as a merge will read it; records it under the path the merge configs
     * name it by.
     */
    private String resolveModel(Path baseDir, String ref, String key, Map<String, String> dirs) {
        try {
            ModelReference r = ModelReference.parse(ref);
            Path p = ModelCatalog.localDirectory(r, baseDir, Map.of(), warnings);
            dirs.put(r.path(), p.toString());
            return p.toString();
        } catch (EvomergeException e) {
            throw EvomergeException.usage(key + ": " + e.getMessage(), e);
        }
    }

    /** The model a genome's tokenizer_source names, or null for none, {@code base} and {@code union}. */
    private static String tokenizerModel(String source) {
        if (source == null || source.equals("base") || source.equals("union")) {
            return null;
        }
        return source.startsWith("model:") ? source.substring("model:".length()) : source;
    }

    /**
     * Refuses numbers that mean nothing, each with one sentence naming its option (a seed is any number; a generation
     * count of 0 evaluates the initial population only).
     */
    private void checkOptions() {
        atLeast("--max-generation", search.maxGeneration(), 0);
        if (search.maxEvaluations() != null) {
            atLeast("--max-evaluations (--max-fevals)", search.maxEvaluations(), 1);
        }
        positive("--sigma-low", llm.sigmaLow());
        positive("--sigma-high", llm.sigmaHigh());
        if (search.sigma0() != null) {
            positive("--sigma0", search.sigma0());
        }
        atLeast("--max-retries", llm.maxRetries(), 1);
        atLeast("--top-k", llm.topK(), 1);
        atLeast("--llm-history", llm.history(), 0);
        if (llm.maxContextTokens() != null) {
            atLeast("--llm-max-context-tokens", llm.maxContextTokens(), ContextBudget.MIN_TOKENS);
        }
        LlmPrice.parse(llm.pricePerMtok());
        atLeast("--batch-size", evaluation.batchSize(), 1);
        if (search.forcePopulationSize() != null) {
            atLeast("--force-population-size", search.forcePopulationSize(), 2);
        }
        atLeast("--num-workers", evaluation.numWorkers(), 1);
        atLeast("--threads", evaluation.threads(), 1);
        if (evaluation.timeout() != null) {
            atLeast("--timeout", evaluation.timeout(), 1);
        }
    }

    private static void atLeast(String option, long value, long min) {
        if (value < min) {
            throw EvomergeException.usage(option + " must be at least " + min + ", got " + value + ".");
        }
    }

    private static void positive(String option, double value) {
        if (!(value > 0) || !Double.isFinite(value)) {
            throw EvomergeException.usage(option + " must be a positive number, got " + value + ".");
        }
    }

    /** The --space of the run being resumed, null for a new run or one stored before there was a choice. */
    private SearchSpace storedSpace() {
        Path db = o.storage().resolve(RunStore.FILE_NAME);
        if (!o.resume() || !Files.exists(db)) {
            return null;
        }
        try (RunStore s = RunStore.openReadOnly(o.storage())) {
            return s.meta(SearchPhases.SPACE).map(SearchSpace::parse).orElse(null);
        }
    }

    /** 0 for a new run; the generation after the last completed one for --resume. */
    private int firstGeneration() {
        Path db = o.storage().resolve(RunStore.FILE_NAME);
        if (!o.resume()) {
            if (Files.exists(db)) {
                throw EvomergeException.usage("The storage path " + o.storage() + " already holds a run (run.db); pass --resume "
                        + "to continue it, or choose another --storage-path.");
            }
            return 0;
        }
        if (!Files.exists(db)) {
            throw EvomergeException.usage("--resume: " + o.storage() + " holds no run.db to resume.");
        }
        try (RunStore s = RunStore.openReadOnly(o.storage())) {
            String before = s.meta(RunMeta.CONFIG_YAML).orElse(null);
            if (before != null && !before.equals(readText(o.genomeFile()))) {
                throw EvomergeException.usage("--resume: " + o.genomeFile() + " differs from the genome file the run in "
                        + o.storage() + " was started with.");
            }
            String opt = s.meta(RunMeta.OPTIMIZER).orElse(search.optimizer().text());
            if (!opt.equals(search.optimizer().text())) {
                throw EvomergeException.usage("--resume: the run in " + o.storage() + " uses --optimizer " + opt
                        + ", not " + search.optimizer() + ".");
            }
            return s.latestOptimizerState().map(st -> st.generation() + 1).orElse(0);
        }
    }

    /**
     * Runs the evolution with the evaluator the CLI chose (local, or a cluster), then merges the final model.
     *
     * @param evaluators builds the evaluator once the settings are known
     */
    public EvolutionRun.Result run(Prepared p, Function<Prepared, CandidateEvaluator> evaluators, EvolutionListener listener) {
        try {
            Files.createDirectories(o.storage());
        } catch (IOException e) {
            throw EvomergeException.usage("Cannot create the storage path " + o.storage() + ": " + Reasons.of(e) + ".", e);
        }
        EvolutionRun.Result result;
        try (RunStore store = RunStore.open(o.storage())) {
            // Checked against the stored run in prepare(), before anything was written.
            String configText = readText(o.genomeFile());
            writeMeta(store, p, configText);
            // a resumed PS+DFS run whose data-flow phase had started continues that phase: its parameter phase is closed
            OptionalInt dfsStarted = space() == SearchSpace.PS_DFS ? SearchPhases.firstGeneration(store, "dfs")
                    : OptionalInt.empty();
            Optimizer optimizer = pareto == null && dfsStarted.isEmpty() ? optimizer(p, store, listener, genes(p), 0) : null;
            var fitnessRun = new FitnessRun(fitness == null ? FitnessPlan.full(p.config().tasks(), search.randomSeed())
                    : fitness, store, o.storage());
            try (CandidateEvaluator evaluator = fitnessRun.evaluator(evaluators.apply(p), p.config().genome().models(),
                    listener)) {
                if (pareto != null) {
                    result = pareto.run(store, p, evaluator, listener, llmExchanges(store, listener));
                } else if (dfsStarted.isPresent()) {
                    int f = dfsStarted.getAsInt();
                    List<Evaluation> parameterPhase = store.allCandidates().stream()
                            .filter(e -> e.candidate().generation() < f).toList();
                    result = new EvolutionRun.Result(f, parameterPhase.size(), Evaluation.best(parameterPhase));
                } else {
                    EvolutionRun run = new EvolutionRun(store, o.storage(), p.genome(), p.config().tasks(), optimizer, evaluator, listener)
                            .llmPrice(LlmPrice.parse(llm.pricePerMtok()));
                    if (dataFlow != null) {
                        run.decoder(dataFlow::export);
                    }
                    EvolutionRun.Result found = run.run(p.firstGeneration(), search.maxGeneration(), search.maxEvaluations());
                    result = new EvolutionRun.Result(found.generations(), found.evaluations(),
                            fitnessRun.finish(found.best(), store));
                }
            } catch (RuntimeException e) {
                store.putMeta(RunMeta.STATUS, "failed");
                store.putMeta(RunMeta.ERROR, String.valueOf(e.getMessage()));
                throw e;
            }
            try {
                if (space() == SearchSpace.PS_DFS && result.best() != null) {
                    result = dataFlowPhase(p, store, result, listener);
                }
            } catch (RuntimeException e) {
                store.putMeta(RunMeta.STATUS, "failed");
                store.putMeta(RunMeta.ERROR, String.valueOf(e.getMessage()));
                throw e;
            }
            if (result.best() == null && result.evaluations() > 0) {
                EvomergeException e = noScore(store.allCandidates());
                store.putMeta(RunMeta.STATUS, "failed");
                store.putMeta(RunMeta.ERROR, e.getMessage());
                throw e;
            }
        }
        if (o.saveFinalModel() && result.best() != null) {
            mergeFinalModel(result.best().candidate().config(), p);
        }
        return result;
    }

    /**
     * Phase 2 of PS+DFS: the parameter search's best merge, resident in memory, becomes model 0 of a data-flow search
     * over it and the genome's models; its generations follow phase 1's in the same run store, labelled dfs.
     */
    private EvolutionRun.Result dataFlowPhase(Prepared p, RunStore store, EvolutionRun.Result ps, EvolutionListener listener) {
        Path merged = o.storage().resolve(ResidentMerge.FOLDER).toAbsolutePath();
        var resident = ResidentMerge.of(ps.best().candidate().config(), p.settings(), merged);
        List<String> refs = new ArrayList<>(List.of(merged.toString()));
        refs.addAll(p.genome().definition().models());
        List<Path> dirs = new ArrayList<>(List.of(merged));
        p.settings().modelPaths().subList(0, p.genome().definition().models().size()).forEach(d -> dirs.add(Path.of(d)));
        dataFlow = DataFlowSetup.of(dataFlowDefinition, refs, dirs);
        store.putMeta(SearchPhases.DATA_FLOW_LAYOUT, JSON.valueToTree(dataFlow.storedLayout()).toString());
        OptionalInt started = SearchPhases.firstGeneration(store, "dfs");
        int first = started.orElse(ps.generations());
        if (started.isEmpty()) {
            SearchPhases.start(store, "dfs", first);
        }
        GeneStart start = genes(p);
        // only a state saved by this phase is its optimizer's (the parameter phase's has other genes)
        Optimizer optimizer = optimizer(p, store, listener, start, first);
        try (CandidateEvaluator evaluator = dataFlow.evaluator(resident, p.settings(), warnings)) {
            EvolutionRun run = new EvolutionRun(store, o.storage(), p.genome(), p.config().tasks(), optimizer, evaluator, listener)
                    .llmPrice(LlmPrice.parse(llm.pricePerMtok())).decoder(dataFlow::export);
            int from = started.isPresent() ? Math.max(first, p.firstGeneration()) : first;
            return run.run(from, first + search.maxGeneration(), search.maxEvaluations());
        }
    }

    /** A run in which no candidate scored is a failure; its most common error is usually the one to fix. */
    private EvomergeException noScore(List<Evaluation> candidates) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (Evaluation c : candidates) {
            counts.merge(String.valueOf(c.error()), 1, Integer::sum);
        }
        Map.Entry<String, Integer> top = counts.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow();
        return EvomergeException.runtime("No candidate produced a score (" + candidates.size() + " evaluated, all failed); "
                + "the most common error (" + top.getValue() + " of " + candidates.size() + "): " + top.getKey(), null);
    }

    private void writeMeta(RunStore store, Prepared p, String configText) {
        store.putMeta(RunMeta.CONFIG_YAML, configText);
        store.putMeta(RunMeta.OPTIMIZER, search.optimizer().text());
        ObjectNode opts = JSON.valueToTree(StoredOptions.of(o));
        opts.remove("apiKey"); // never store secrets
        opts.put("llmBaseUrl", Secrets.redactUrl(llm.baseUrl()));
        opts.put("populationSize", p.populationSize());
        store.putMeta(RunMeta.OPTIONS, opts.toString());
        store.putLayout(space() == SearchSpace.DFS ? dataFlow.storedLayout() : StoredLayout.of(p.genome()));
        store.putMeta(SearchPhases.SPACE, space().text());
        if (store.meta(SearchPhases.KEY).isPresent()) {
            // a resumed run keeps the phases it recorded
        } else if (space() == SearchSpace.PS_DFS) {
            SearchPhases.start(store, "ps", 0);
        } else if (space() == SearchSpace.DFS) {
            SearchPhases.start(store, "dfs", 0);
        }
        var tasks = JSON.createArrayNode();
        for (TaskSpec t : p.config().tasks()) {
            tasks.addObject().put("name", t.name()).put("weight", t.weight()).put("metric", t.metric());
        }
        store.putMeta(RunMeta.TASKS, tasks.toString());
    }

    /** Where an optimizer starts: gene count, initial genes, the LLM's genome dimensions and note, the population. */
    private record GeneStart(int size, double[] initialGenes, int[] dimensions, String note, int population) {
    }

    /** The genes of the current search: the data-flow genome's when one runs, else the merge recipe's. */
    private GeneStart genes(Prepared p) {
        if (dataFlow == null) {
            return new GeneStart(p.genome().layout().size(), p.genome().initialGenes(), p.genome().layout().dimensions(),
                    null, p.populationSize());
        }
        var g = dataFlow.genome();
        int population = search.forcePopulationSize() != null ? search.forcePopulationSize() : Population.defaultSize(g.size());
        return new GeneStart(g.size(), g.initialGenes(), new int[] {1, 1, 1, g.size()}, g.describe(), population);
    }

    /** @param fromGeneration a resumed optimizer's saved state must be from this generation on (else it starts anew) */
    private Optimizer optimizer(Prepared p, RunStore store, EvolutionListener listener, GeneStart start,
                                int fromGeneration) {
        int n = start.size();
        var saved = o.resume() ? store.latestOptimizerState().filter(st -> st.generation() >= fromGeneration)
                : java.util.Optional.<RunStore.SavedState>empty();
        return switch (search.optimizer()) {
            case CMAES -> saved.map(s -> new CmaEs(s.as(CmaEs.State.class))).orElseGet(() -> {
                double[] x0 = start.initialGenes();
                if (p.config().randomInit()) {
                    SplittableRandom rng = RandomStreams.forGeneration(search.randomSeed(), "cmaes-x0", 0);
                    for (int i = 0; i < n; i++) {
                        x0[i] = rng.nextDouble();
                    }
                }
                return CmaEs.start(x0, search.sigma0() == null ? CmaEs.DEFAULT_SIGMA0 : search.sigma0(), start.population(),
                        search.randomSeed());
            });
            case RANDOM -> saved.map(s -> new RandomSearch(s.as(RandomSearch.State.class)))
                    .orElseGet(() -> new RandomSearch(n, start.population(), search.randomSeed()));
            case NSGA2 -> throw new IllegalStateException("nsga2 without objectives was refused in prepare()");
            case LLM -> {
                ChatClient chat = p.chat();
                Consumer<LlmExchange> exchanges = llmExchanges(store, listener);
                ContextBudget budget = ContextBudget.of(llm.maxContextTokens(), chat);
                yield saved.map(s -> new LlmEvolutionStrategy(s.as(LlmEvolutionStrategy.State.class), chat, exchanges, budget))
                        .orElseGet(() -> new LlmEvolutionStrategy(new LlmEvolutionStrategy.Settings(start.dimensions(),
                                start.population(), search.randomSeed(), llm.sigmaLow(), llm.sigmaHigh(), llm.topK(),
                                llm.maxRetries(), llm.history(), search.elitism(), start.note()), chat, exchanges, budget));
            }
        };
    }

    /** Where the llm strategy's exchanges go: run.db, the listener, and the --max-fallbacks count that stops a run. */
    private Consumer<LlmExchange> llmExchanges(RunStore store, EvolutionListener listener) {
        FallbackLimit limit = new FallbackLimit(llm.maxFallbacks());
        return x -> {
            store.recordExchange(x); // stored first: the row that stops the run is kept
            listener.llmExchange(x);
            limit.accept(x);
        };
    }

    /** The local evaluator for these options (the default when no cluster is given). */
    public CandidateEvaluator localEvaluator(Prepared p) {
        if (dataFlow != null) {
            return dataFlow.evaluator(null, p.settings(), warnings);
        }
        if (evaluation.serverPool().enabled()) {
            return new ServerPoolEvaluator(p.settings(), evaluation.serverPool(), warnings);
        }
        return new LocalEvaluator(p.settings(), evaluation.numWorkers(), evaluation.strategy(), evaluation.timeout(),
                warnings);
    }

    private void mergeFinalModel(MergeConfig cfg, Prepared p) {
        Path out = o.storage().resolve("final_model");
        try {
            if (Files.exists(out)) {
                dev.evomerge.evolve.local.Trees.delete(out);
            }
        } catch (IOException e) {
            throw EvomergeException.runtime("Cannot replace " + out + ": " + Reasons.of(e), e);
        }
        try (MergeSession s = MergeSession.open(cfg, p.settings().mergeOptions(), MergeReporter.silent())) {
            s.writeModel(out);
        }
    }

    private static String readText(Path f) {
        return dev.evomerge.core.io.TextFiles.readUtf8(f, "Evolution config");
    }
}
