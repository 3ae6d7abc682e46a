package dev.evomerge.evolve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.evolve.genome.EvolveConfig;
import dev.evomerge.evolve.genome.Genome;
import dev.evomerge.evolve.llm.ChatClient;
import dev.evomerge.evolve.llm.LlmExchange;
import dev.evomerge.evolve.llm.LlmParetoStrategy;
import dev.evomerge.evolve.llm.LlmPrice;
import dev.evomerge.evolve.objective.Objective;
import dev.evomerge.evolve.objective.Objectives;
import dev.evomerge.evolve.pareto.MultiObjectiveOptimizer;
import dev.evomerge.evolve.pareto.Nsga2;
import dev.evomerge.evolve.pareto.RandomParetoSearch;
import dev.evomerge.evolve.run.CandidateEvaluator;
import dev.evomerge.evolve.run.EvolutionListener;
import dev.evomerge.evolve.store.ParetoStore;
import dev.evomerge.evolve.store.RunStore;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A multi-objective run as {@link EvolutionLauncher} builds it: its objectives (from {@code --objectives}, else the
 * genome file's {@code objectives:} list, else a resumed run's), checked against the optimizer before anything is
 * written, and the optimizer and {@link MultiObjectiveRun} it runs. NSGA-II and random search take the objectives as
 * they are; the llm strategy proposes {@code --llm-means} means per generation; CMA-ES is single-objective and refused.
 */
final class ParetoSetup {

    /** run.db's meta key of the run's objective specs and mean count, as JSON; a resumed run reads them back. */
    static final String META = "pareto_options";

    private record Stored(List<String> objectives, int llmMeans) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<String> specs;
    private final List<Objective> objectives;
    private final int llmMeans;
    private final EvolveOptions options;
    private final SearchOptions search;

    private ParetoSetup(List<String> specs, List<Objective> objectives, int llmMeans, EvolveOptions options) {
        this.specs = List.copyOf(specs);
        this.objectives = objectives;
        this.llmMeans = llmMeans;
        this.options = options;
        this.search = options.search();
    }

    /** The run's objectives, or null for a single-objective run; every inconsistency is one usage sentence. */
    static ParetoSetup resolve(ObjectiveOptions given, EvolveOptions o, EvolveConfig config, Consumer<String> warnings) {
        List<String> fromFile = fileObjectives(o.genomeFile());
        List<String> specs = given.objectives() != null ? given.objectives() : fromFile;
        String where = given.objectives() != null ? "--objectives" : o.genomeFile() + ": objectives";
        if (given.objectives() != null && fromFile != null && !fromFile.equals(given.objectives())) {
            warnings.accept("--objectives replaces the objectives of " + o.genomeFile() + ".");
        }
        Integer means = given.llmMeans();
        Optional<Stored> stored = o.resume() ? stored(o.storage()) : Optional.empty();
        if (stored.isPresent()) {
            if (specs != null && !specs.equals(stored.get().objectives())) {
                throw EvomergeException.usage("--resume: the run in " + o.storage() + " has the objectives "
                        + String.join(" ", stored.get().objectives()) + ", not " + String.join(" ", specs) + ".");
            }
            if (means != null && means != stored.get().llmMeans()) {
                throw EvomergeException.usage("--resume: the run in " + o.storage() + " proposes "
                        + stored.get().llmMeans() + " mean genomes per generation, not --llm-means " + means + ".");
            }
            specs = stored.get().objectives();
            means = stored.get().llmMeans();
        } else if (o.resume() && specs != null && Files.exists(o.storage().resolve(RunStore.FILE_NAME))) {
            throw EvomergeException.usage("--resume: the run in " + o.storage() + " has a single objective; objectives"
                    + " cannot be added to it (start a new run with another --storage-path).");
        }
        OptimizerKind kind = o.search().optimizer();
        if (specs == null) {
            if (kind == OptimizerKind.NSGA2) {
                throw EvomergeException.usage("--optimizer nsga2 needs two or more objectives: give --objectives (e.g."
                        + " --objectives \"task_a task_b\") or an objectives: list in the genome file.");
            }
            if (means != null) {
                throw EvomergeException.usage("--llm-means sets how many means the llm strategy proposes for several"
                        + " objectives: give --objectives too.");
            }
            return null;
        }
        if (kind == OptimizerKind.CMAES) {
            throw EvomergeException.usage("--optimizer cmaes optimises one score and cannot follow several objectives:"
                    + " use --optimizer nsga2, llm or random with " + where + ", or drop the objectives for the weighted sum.");
        }
        if (given.llmMeans() != null && kind != OptimizerKind.LLM) {
            throw EvomergeException.usage("--llm-means sets how many means the llm strategy proposes: use it with"
                    + " --optimizer llm, not " + kind + ".");
        }
        List<Objective> objectives = Objectives.parse(specs, config.tasks(), where);
        int k = means == null ? ObjectiveOptions.LLM_MEANS : means;
        if (k < 1) {
            throw EvomergeException.usage("--llm-means must be at least 1, got " + k + ".");
        }
        if (o.search().elitism()) {
            warnings.accept("--elitism keeps one best genome, which a run with several objectives does not have; ignored.");
        }
        return new ParetoSetup(specs, objectives, k, o);
    }

    /**
     * The population: NSGA-II breeds in pairs, so its default is rounded up to even and an odd
     * --force-population-size is refused; the llm strategy needs at least one candidate per mean.
     */
    int populationSize(int population, Genome genome) {
        int p = population;
        if (search.optimizer() == OptimizerKind.NSGA2) {
            if (search.forcePopulationSize() == null) {
                p = Nsga2.defaultPopulationSize(genome.layout().size());
            } else if (p % 2 != 0) {
                throw EvomergeException.usage("--optimizer nsga2 breeds candidates in pairs: --force-population-size must"
                        + " be even, got " + p + ".");
            }
        }
        if (search.optimizer() == OptimizerKind.LLM && llmMeans > p) {
            throw EvomergeException.usage("--llm-means " + llmMeans + " needs a population of at least " + llmMeans
                    + " (one candidate per mean), got " + p + ".");
        }
        return p;
    }

    /** Runs the generations; {@code exchanges} records the llm strategy's exchanges as the launcher does. */
    EvolutionRun.Result run(RunStore store, EvolutionLauncher.Prepared p, CandidateEvaluator evaluator,
                            EvolutionListener listener, Consumer<LlmExchange> exchanges) {
        try {
            store.putMeta(META, JSON.writeValueAsString(new Stored(specs, llmMeans)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("objective options are plain data", e);
        }
        ParetoStore pareto = ParetoStore.open(store);
        try (Objectives measured = Objectives.of(objectives, p.settings().mergeOptions())) {
            MultiObjectiveOptimizer optimizer = optimizer(p, options.resume() ? store.latestOptimizerState()
                    : Optional.empty(), exchanges);
            return new MultiObjectiveRun(store, pareto, options.storage(), p.genome(), p.config().tasks(),
                    measured, optimizer, evaluator, listener).llmPrice(LlmPrice.parse(options.llm().pricePerMtok()))
                    .run(p.firstGeneration(), search.maxGeneration(), search.maxEvaluations());
        }
    }

    private MultiObjectiveOptimizer optimizer(EvolutionLauncher.Prepared p, Optional<RunStore.SavedState> saved,
                                              Consumer<LlmExchange> exchanges) {
        ChatClient chat = p.chat();
        int n = p.genome().layout().size();
        int m = objectives.size();
        return switch (search.optimizer()) {
            case NSGA2 -> saved.map(s -> new Nsga2(s.as(Nsga2.State.class)))
                    .orElseGet(() -> new Nsga2(n, m, p.populationSize(), search.randomSeed()));
            case RANDOM -> saved.map(s -> new RandomParetoSearch(s.as(RandomParetoSearch.State.class)))
                    .orElseGet(() -> new RandomParetoSearch(n, m, p.populationSize(), search.randomSeed()));
            case LLM -> saved.map(s -> new LlmParetoStrategy(s.as(LlmParetoStrategy.State.class), chat, exchanges))
                    .orElseGet(() -> {
                        boolean[] minimised = new boolean[m];
                        for (int i = 0; i < m; i++) {
                            minimised[i] = objectives.get(i).minimised();
                        }
                        LlmOptions llm = options.llm();
                        return new LlmParetoStrategy(new LlmParetoStrategy.Settings(p.genome().layout().dimensions(),
                                p.populationSize(), search.randomSeed(), llm.sigmaLow(), llm.sigmaHigh(), llm.maxRetries(),
                                llmMeans, objectives.stream().map(Objective::name).toList(), minimised), chat, exchanges);
                    });
            case CMAES -> throw new IllegalStateException("CMA-ES was refused with objectives in resolve()");
        };
    }

    /** The genome file's {@code objectives:} list, or null when it has none. */
    private static List<String> fileObjectives(Path genomeFile) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(dev.evomerge.core.io.TextFiles.readUtf8(genomeFile,
                    "Evolution config"));
        } catch (JsonProcessingException e) {
            return null; // EvolveConfig.load reported the malformed YAML already
        }
        JsonNode list = root == null ? null : root.get("objectives");
        if (list == null || list.isNull()) {
            return null;
        }
        if (!list.isArray()) {
            throw EvomergeException.usage(genomeFile + ": 'objectives' must be a list of task names, task/metric or params.");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode v : list) {
            if (!v.isTextual()) {
                throw EvomergeException.usage(genomeFile + ": every entry of 'objectives' must be a string.");
            }
            out.add(v.asText());
        }
        return out;
    }

    private static Optional<Stored> stored(Path storage) {
        if (!Files.exists(storage.resolve(RunStore.FILE_NAME))) {
            return Optional.empty();
        }
        try (RunStore s = RunStore.openReadOnly(storage)) {
            return s.meta(META).map(text -> {
                try {
                    return JSON.readValue(text, Stored.class);
                } catch (JsonProcessingException e) {
                    throw EvomergeException.usage("run.db in " + storage + " holds unreadable objectives (" + META + ").", e);
                }
            });
        }
    }
}
