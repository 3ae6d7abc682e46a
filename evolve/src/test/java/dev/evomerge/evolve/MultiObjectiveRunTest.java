package dev.evomerge.evolve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.core.model.ModelDirectory;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.eval.EvaluationListener;
import dev.evomerge.eval.EvaluationOptions;
import dev.evomerge.eval.EvaluationResults;
import dev.evomerge.eval.Evaluator;
import dev.evomerge.eval.MetricResult;
import dev.evomerge.eval.TaskResult;
import dev.evomerge.eval.data.DatasetLoader;
import dev.evomerge.eval.model.LanguageModel;
import dev.evomerge.eval.model.LanguageModels;
import dev.evomerge.eval.task.TaskCatalog;
import dev.evomerge.evolve.demo.TwoRecipeProblem;
import dev.evomerge.evolve.llm.LlmExchange;
import dev.evomerge.evolve.llm.ScriptedOpenAiServer;
import dev.evomerge.evolve.llm.ScriptedOpenAiServer.Reply;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.EvolutionListener;
import dev.evomerge.evolve.store.ParetoStore;
import dev.evomerge.evolve.store.RunStore;
import dev.evomerge.merge.MergeOptions;
import dev.evomerge.merge.MergeReporter;
import dev.evomerge.merge.MergeSession;
import dev.evomerge.core.EvomergeException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Multi-objective runs on real synthetic models and two conflicting tasks, through the launcher. */
class MultiObjectiveRunTest {

    @TempDir
    static Path dir;
    static TwoRecipeProblem.Setup setup;
    static final ObjectMapper JSON = new ObjectMapper();

    /** An NSGA-II run of generations 0-2 on three objectives, read by the tests below. */
    static Path nsga2;
    static EvolutionRun.Result nsga2Result;

    @BeforeAll
    static void modelsAndOneRun() {
        setup = TwoRecipeProblem.prepare(dir.resolve("problem"), 5, 24, 2);
        nsga2 = dir.resolve("nsga2");
        nsga2Result = run(options(nsga2, "nsga2", null, 2, false), new ObjectiveOptions(objectives(), null));
    }

    static EvolveOptions options(Path storage, String optimizer, String baseUrl, int generations, boolean resume) {
        return new EvolveOptions(setup.genomeFile(), storage, resume,
                new SearchOptions(OptimizerKind.parse(optimizer), generations, null, 11, 6, false, null),
                new LlmOptions("gpt-4o", baseUrl, "sk-secret-key", 4, 0, 0.02, 0.2, 3, 3, null, null),
                CandidateEvaluationOptions.inMemory(setup.taskDirs(), 16, 2), false, false, false);
    }

    static List<String> objectives() {
        return List.of(setup.taskNames().get(0), setup.taskNames().get(1) + "/acc,none", "params");
    }

    static EvolutionRun.Result run(EvolveOptions o, ObjectiveOptions objectives) {
        EvolutionLauncher launcher = new EvolutionLauncher(o, w -> { }).objectives(objectives);
        EvolutionLauncher.Prepared p = launcher.prepare();
        return launcher.run(p, launcher::localEvaluator, new EvolutionListener() { });
    }

    @Test
    void everyFrontMemberReMergedFromItsYamlAndEvaluatedGivesTheRecordedScores() throws Exception {
        Path storage = nsga2;
        assertThat(nsga2Result.evaluations()).isEqualTo(18);

        JsonNode index = JSON.readTree(storage.resolve("pareto/pareto.json").toFile());
        JsonNode members = index.get("members");
        assertThat(members.size()).isGreaterThanOrEqualTo(2); // the tasks conflict: no single recipe wins both
        Set<String> files = new HashSet<>();
        try (Stream<Path> s = Files.list(storage.resolve("pareto"))) {
            s.forEach(f -> files.add(f.getFileName().toString()));
        }
        Set<String> expected = new HashSet<>(Set.of("pareto.json"));
        members.forEach(m -> expected.add(m.get("name").asText() + ".yaml"));
        assertThat(files).isEqualTo(expected); // no stale member's file is left

        try (RunStore store = RunStore.openReadOnly(storage)) {
            ParetoStore pareto = ParetoStore.of(store).orElseThrow();
            assertThat(pareto.objectives()).extracting(o -> o.name()).containsExactly(setup.taskNames().get(0) + "/acc,none",
                    setup.taskNames().get(1) + "/acc,none", "params");
            assertThat(pareto.points()).hasSize((int) store.allCandidates().stream().filter(Evaluation::ok).count());
            List<ParetoStore.Front> fronts = pareto.fronts();
            assertThat(fronts).extracting(ParetoStore.Front::generation).containsExactly(0, 1, 2);
            for (int g = 1; g < fronts.size(); g++) { // the front of everything so far can only gain volume
                assertThat(fronts.get(g).hypervolume()).isGreaterThanOrEqualTo(fronts.get(g - 1).hypervolume());
                assertThat(fronts.get(g).reference()).containsExactly(fronts.getFirst().reference());
            }
            assertThat(fronts.getFirst().hypervolume()).isPositive();
            assertThat(fronts.getLast().members()).hasSize(members.size());
            // one member per distinct objective vector, the earliest candidate that scored it
            List<ParetoStore.Point> points = pareto.points();
            Set<List<Double>> seen = new HashSet<>();
            for (ParetoStore.CandidateId id : fronts.getLast().members()) {
                ParetoStore.Point own = points.stream()
                        .filter(p -> p.generation() == id.generation() && p.index() == id.index()).findFirst().orElseThrow();
                assertThat(seen.add(Arrays.stream(own.values()).boxed().toList())).isTrue();
                ParetoStore.Point earliest = points.stream()
                        .filter(p -> Arrays.equals(p.values(), own.values())).findFirst().orElseThrow();
                assertThat(List.of(earliest.generation(), earliest.index())).isEqualTo(List.of(id.generation(), id.index()));
            }
            assertThat(index.get("hypervolume").asDouble()).isEqualTo(fronts.getLast().hypervolume());
        }
        JsonNode summary = JSON.readTree(storage.resolve("summary.json").toFile());
        assertThat(summary.get("optimizer").asText()).isEqualTo("nsga2");
        assertThat(summary.get("front")).isEqualTo(members);

        TaskCatalog.Selection tasks = TaskCatalog.load(setup.taskDirs(), w -> { }).select(setup.taskNames());
        Evaluator evaluator = new Evaluator(new DatasetLoader(java.util.Optional.empty(), dir), EvaluationListener.QUIET);
        EvaluationOptions eo = new EvaluationOptions(OptionalInt.empty(), OptionalDouble.empty(), 0,
                EvaluationOptions.DEFAULT_FEWSHOT_SEED, false, false);
        for (JsonNode m : members) {
            // what `evomerge merge STORAGE/pareto/NAME.yaml OUT` does
            Path out = dir.resolve("remerged-" + m.get("name").asText());
            try (MergeSession s = MergeSession.open(storage.resolve(m.get("file").asText()), MergeOptions.defaults(),
                    MergeReporter.silent())) {
                s.writeModel(out);
            }
            Map<String, Double> metrics = new HashMap<>();
            try (LanguageModel lm = LanguageModels.embedded(out, LoadOptions.defaults().withThreads(2), true, 16)) {
                EvaluationResults results = evaluator.evaluate(tasks, lm, eo);
                for (TaskResult t : results.tasks()) {
                    for (MetricResult mr : t.metrics()) {
                        metrics.put(t.name() + "/" + mr.key(), mr.value());
                    }
                }
            }
            JsonNode scores = m.get("scores");
            for (String task : setup.taskNames()) {
                assertThat(metrics.get(task + "/acc,none")).as(m.get("name").asText() + " " + task)
                        .isEqualTo(scores.get(task + "/acc,none").asDouble());
            }
            long params = 0;
            try (ModelDirectory md = ModelDirectory.open(out)) {
                for (String t : md.tensors().tensorNames()) {
                    params += md.tensors().info(t).orElseThrow().shape().numel();
                }
            }
            assertThat(scores.get("params").asLong()).isEqualTo(params);
        }
    }

    @Test
    void aResumedRunContinuesWithTheSamePopulationAndFront() throws Exception {
        ObjectiveOptions objectives = new ObjectiveOptions(objectives(), null);
        Path whole = nsga2;
        Path split = dir.resolve("split");
        run(options(split, "nsga2", null, 0, false), objectives);
        // resumed without --objectives: the run's own are used
        EvolutionRun.Result r = run(options(split, "nsga2", null, 2, true), ObjectiveOptions.NONE);
        assertThat(r.evaluations()).isEqualTo(18);
        try (RunStore a = RunStore.openReadOnly(whole); RunStore b = RunStore.openReadOnly(split)) {
            ParetoStore pa = ParetoStore.of(a).orElseThrow();
            ParetoStore pb = ParetoStore.of(b).orElseThrow();
            List<Evaluation> ca = a.allCandidates();
            List<Evaluation> cb = b.allCandidates();
            assertThat(cb).hasSameSizeAs(ca);
            for (int k = 0; k < ca.size(); k++) {
                assertThat(cb.get(k).candidate().genes()).containsExactly(ca.get(k).candidate().genes());
                assertThat(cb.get(k).metrics()).isEqualTo(ca.get(k).metrics());
            }
            assertThat(pb.fronts()).extracting(ParetoStore.Front::members).isEqualTo(pa.fronts().stream()
                    .map(ParetoStore.Front::members).toList());
            assertThat(pb.fronts()).extracting(ParetoStore.Front::hypervolume).isEqualTo(pa.fronts().stream()
                    .map(ParetoStore.Front::hypervolume).toList());
        }
        assertThat(Files.readString(split.resolve("pareto/pareto.json"))).isEqualTo(Files.readString(whole.resolve("pareto/pareto.json")));
        // other objectives on resume are refused in one sentence, before anything is written
        assertThatThrownBy(() -> new EvolutionLauncher(options(split, "nsga2", null, 3, true), w -> { })
                .objectives(new ObjectiveOptions(List.of(setup.taskNames().get(0), "params"), null)).prepare())
                .isInstanceOf(EvomergeException.class)
                .hasMessage("--resume: the run in " + split + " has the objectives " + String.join(" ", objectives())
                        + ", not " + setup.taskNames().get(0) + " params.");
    }

    @Test
    void theLlmStrategyIsShownTheFrontAndItsMeansAreRecorded() throws Exception {
        Path storage = dir.resolve("llm");
        try (ScriptedOpenAiServer llm = new ScriptedOpenAiServer()) {
            llm.then(Reply.content("{\"thought\": \"one is not enough\", \"mean_genomes\": [[80, 20, 20, 80]]}"))
                    .otherwise(req -> Reply.content("{\"thought\": \"both ends\", "
                            + "\"mean_genomes\": [[85, 15, 20, 75], [15, 80, 85, 10]]}"));
            EvolutionRun.Result r = run(options(storage, "llm", llm.baseUrl(), 1, false),
                    new ObjectiveOptions(List.of(setup.taskNames().get(0), setup.taskNames().get(1)), 2));
            assertThat(r.evaluations()).isEqualTo(12);
            String prompt = llm.requests().getFirst().get("messages").get(1).get("content").asText();
            assertThat(prompt).contains("'scores': {'" + setup.taskNames().get(0) + "/acc,none': ")
                    .contains("Give 2 mean genomes");
            try (RunStore s = RunStore.openReadOnly(storage)) {
                List<LlmExchange> x = s.exchanges();
                assertThat(x).extracting(LlmExchange::kind).containsExactly(LlmExchange.CORRECTION, LlmExchange.REPLY);
                assertThat(x.get(1).thought()).isEqualTo("both ends");
                List<Evaluation> g1 = s.candidates(1);
                // population 6 split 3 + 3 around the two means (sigma 0.02 after the first generation)
                for (int k = 0; k < 6; k++) {
                    double[] mean = k < 3 ? new double[] {0.85, 0.15, 0.20, 0.75} : new double[] {0.15, 0.80, 0.85, 0.10};
                    double[] genes = g1.get(k).candidate().genes();
                    for (int i = 0; i < 4; i++) {
                        assertThat(genes[i]).isCloseTo(mean[i], org.assertj.core.data.Offset.offset(0.1));
                    }
                }
            }
            JsonNode summary = JSON.readTree(storage.resolve("summary.json").toFile());
            assertThat(summary.get("llm").get("requests").asInt()).isEqualTo(2);
        }
    }

    @Test
    void optimizersAndObjectivesThatDoNotFitAreRefusedInOneSentence() {
        Path storage = dir.resolve("refused");
        ObjectiveOptions two = new ObjectiveOptions(setup.taskNames(), null);
        assertThatThrownBy(() -> new EvolutionLauncher(options(storage, "cmaes", null, 1, false), w -> { }).objectives(two).prepare())
                .hasMessageStartingWith("--optimizer cmaes optimises one score and cannot follow several objectives");
        assertThatThrownBy(() -> new EvolutionLauncher(options(storage, "nsga2", null, 1, false), w -> { }).prepare())
                .hasMessageStartingWith("--optimizer nsga2 needs two or more objectives");
        assertThatThrownBy(() -> new EvolutionLauncher(options(storage, "nsga2", null, 1, false), w -> { })
                .objectives(new ObjectiveOptions(List.of(setup.taskNames().get(0), "layers"), null)).prepare())
                .hasMessage("--objectives: the objective 'layers' measures a data-flow path, and multi-objective runs search merge"
                        + " recipes only (--space ps): use task metrics and 'params'.");
        assertThatThrownBy(() -> new EvolutionLauncher(options(storage, "random", null, 1, false), w -> { })
                .objectives(new ObjectiveOptions(List.of(setup.taskNames().get(0), "nope"), null)).prepare())
                .hasMessage("--objectives: 'nope' is neither 'params' nor a task of the genome file's tasks ("
                        + String.join(", ", setup.taskNames()) + ").");
        EvolveOptions odd = options(storage, "nsga2", null, 1, false);
        EvolveOptions oddPopulation = new EvolveOptions(odd.genomeFile(), storage, false,
                new SearchOptions(OptimizerKind.NSGA2, 1, null, 11, 5, false, null), odd.llm(), odd.evaluation(),
                false, false, false);
        assertThatThrownBy(() -> new EvolutionLauncher(oddPopulation, w -> { }).objectives(two).prepare())
                .hasMessage("--optimizer nsga2 breeds candidates in pairs: --force-population-size must be even, got 5.");
        assertThat(storage).doesNotExist();
    }

    @Test
    void randomSearchWithObjectivesAsksWhatItAsksWithoutThem() throws Exception {
        Path withObjectives = dir.resolve("random-objectives");
        Path without = dir.resolve("random-weighted");
        run(options(withObjectives, "random", null, 1, false), new ObjectiveOptions(setup.taskNames(), null));
        run(options(without, "random", null, 1, false), ObjectiveOptions.NONE);
        try (RunStore a = RunStore.openReadOnly(withObjectives); RunStore b = RunStore.openReadOnly(without)) {
            List<double[]> ga = a.allCandidates().stream().map(e -> e.candidate().genes()).toList();
            List<double[]> gb = b.allCandidates().stream().map(e -> e.candidate().genes()).toList();
            assertThat(ga).hasSize(12);
            for (int k = 0; k < ga.size(); k++) {
                assertThat(ga.get(k)).containsExactly(gb.get(k));
            }
        }
        try (RunStore b = RunStore.openReadOnly(without)) {
            assertThat(ParetoStore.of(b)).isEmpty(); // a single-objective run.db has no objective tables
        }
        assertThat(without.resolve("pareto")).doesNotExist();
        assertThat(withObjectives.resolve("pareto/pareto.json")).exists();
    }
}
