package dev.evomerge.evolve.fitness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.eval.DocumentChoice;
import dev.evomerge.evolve.CandidateEvaluationOptions;
import dev.evomerge.evolve.EvolutionLauncher;
import dev.evomerge.evolve.EvolutionRun;
import dev.evomerge.evolve.EvolveOptions;
import dev.evomerge.evolve.LlmOptions;
import dev.evomerge.evolve.OptimizerKind;
import dev.evomerge.evolve.SearchOptions;
import dev.evomerge.evolve.demo.HiddenRecipe;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.CandidateEvaluator;
import dev.evomerge.evolve.run.DocumentEvaluator;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.ScoredEvaluation;
import dev.evomerge.evolve.run.EvolutionListener;
import dev.evomerge.evolve.store.FitnessStore;
import dev.evomerge.evolve.store.RunStore;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

/** Evolutions with an estimated fitness on the demo's synthetic models and task (40 questions). */
class EstimatedFitnessRunTest {

    @TempDir
    static Path dir;
    static HiddenRecipe.Setup setup;

    @BeforeAll
    static void models() {
        setup = HiddenRecipe.prepare(dir.resolve("demo"), 5, 40, 2);
    }

    static EvolveOptions options(Path genome, Path storage, boolean resume, int generations, FitnessOptions fitness,
                                 Path... taskDirs) {
        List<Path> tasks = new ArrayList<>(List.of(setup.taskDir()));
        tasks.addAll(List.of(taskDirs));
        return new EvolveOptions(genome, storage, resume,
                new SearchOptions(OptimizerKind.CMAES, generations, null, 11, 5, false, null),
                new LlmOptions(null, null, null, 4, 0, 0.02, 0.2, 3, 3, null, null),
                CandidateEvaluationOptions.inMemory(tasks, 16, 2), false, false, false, fitness);
    }

    static EvolutionRun.Result run(EvolveOptions o, List<String> notes) {
        EvolutionLauncher launcher = new EvolutionLauncher(o, w -> { });
        EvolutionLauncher.Prepared p = launcher.prepare();
        return launcher.run(p, launcher::localEvaluator, new EvolutionListener() {
            @Override
            public void fitnessNote(String line) {
                notes.add(line);
            }
        });
    }

    @Test
    void anIrtRunLabelsEstimatesAndPicksBestConfigByWholeTaskFitness() throws Exception {
        Path storage = dir.resolve("irt-run");
        List<String> notes = new ArrayList<>();
        EvolutionRun.Result r = run(options(setup.genomeFile(), storage, false, 2,
                new FitnessOptions(FitnessEstimatorKind.IRT, 8, null, 1, null)), notes);

        try (RunStore s = RunStore.openReadOnly(storage)) {
            FitnessStore f = FitnessStore.reading(s);
            List<FitnessStore.CandidateFitness> labels = f.candidates();
            assertThat(labels).hasSize(15);
            // generation 0 calibrates on the whole task: measured, not estimated
            assertThat(labels.subList(0, 5)).allSatisfy(c -> {
                assertThat(c.method()).isEqualTo("calibration");
                assertThat(c.estimate()).isNull();
                assertThat(c.full()).isBetween(0.0, 1.0);
            });
            // later generations are estimated from the anchors, at a fraction of the tokens
            long calibrationTokens = labels.getFirst().tokens();
            assertThat(labels.subList(5, 15)).allSatisfy(c -> {
                assertThat(c.method()).isEqualTo("irt");
                assertThat(c.estimate()).isBetween(0.0, 1.0);
                assertThat(c.tokens()).isPositive().isLessThan(calibrationTokens / 3);
            });
            // --full-eval-top 1: one candidate per estimated generation measured during the run, more at the end
            for (int g = 1; g <= 2; g++) {
                int generation = g;
                assertThat(labels.stream().filter(c -> c.generation() == generation && c.full() != null).count())
                        .isGreaterThanOrEqualTo(1);
            }
            assertThat(labels.stream().filter(c -> c.full() != null && c.fullTokens() != null)
                    .allMatch(c -> c.fullTokens() == calibrationTokens)).isTrue();
            // calibration: the two input models and the five candidates, on every document
            assertThat(f.calibration()).hasSize(7).allSatisfy(row -> assertThat(row.values()).hasSize(40));
            assertThat(f.calibration().stream().filter(row -> row.model().startsWith(FitnessStore.INPUT_MODEL_PREFIX)))
                    .hasSize(2);
            String anchors = f.estimators("irt").get(setup.taskName() + "/acc,none");
            assertThat(anchors).contains("\"anchors\"").contains("\"discrimination\"");

            // best_config.yaml is the candidate with the highest whole-task fitness, not the highest estimate
            FitnessStore.CandidateFitness bestFull = labels.stream().filter(c -> c.full() != null)
                    .max(Comparator.comparingDouble(FitnessStore.CandidateFitness::full)).orElseThrow();
            Evaluation chosen = s.allCandidates().stream().filter(e -> e.candidate().generation() == bestFull.generation()
                    && e.candidate().index() == bestFull.index()).findFirst().orElseThrow();
            assertThat(Files.readString(storage.resolve("best_config.yaml"))).isEqualTo(chosen.candidate().mergeYaml());
            assertThat(r.best().score()).isEqualTo(bestFull.full());

            JsonNode summary = new ObjectMapper().readTree(storage.resolve("summary.json").toFile());
            assertThat(summary.get("best_score").asDouble()).isEqualTo(bestFull.full());
            assertThat(summary.get("best_config").asText()).isEqualTo(chosen.candidate().mergeYaml());
            JsonNode fitness = summary.get("fitness");
            assertThat(fitness.get("estimator").asText()).isEqualTo("irt");
            assertThat(fitness.get("best_score_label").asText()).isEqualTo("full");
            assertThat(fitness.get("candidates_estimated").asInt()).isEqualTo(10);
            assertThat(fitness.get("tokens_scored").asLong()).isEqualTo(f.tokensScored())
                    .isGreaterThan(7 * calibrationTokens);
        }
        assertThat(notes).anyMatch(n -> n.startsWith("fitness: calibrated irt on 7 models"))
                .anyMatch(n -> n.startsWith("fitness: generation 2 estimated (irt) from"))
                .anyMatch(n -> n.startsWith("fitness: best by whole-task fitness: generation"));
    }

    @Test
    void aResumedRunContinuesWithTheSameAnchors() {
        Path storage = dir.resolve("anchors-run");
        FitnessOptions fitness = new FitnessOptions(FitnessEstimatorKind.ANCHORS, 8, 30, null, null);
        run(options(setup.genomeFile(), storage, false, 1, fitness), new ArrayList<>());
        String anchorsBefore;
        int calibrationRows;
        try (RunStore s = RunStore.openReadOnly(storage)) {
            FitnessStore f = FitnessStore.reading(s);
            anchorsBefore = f.estimators("anchors").get(setup.taskName() + "/acc,none");
            calibrationRows = f.calibration().size();
            // --calibration-limit 30: calibration models saw 30 of the 40 documents
            assertThat(f.calibration()).allSatisfy(row -> assertThat(row.values()).hasSize(30));
            assertThat(f.candidates().subList(0, 5)).allSatisfy(c -> {
                assertThat(c.estimate()).isNotNull(); // a mean over 30 documents is an estimate too
                // only the best ones are measured on the whole task, at the end
                assertThat(c.full() == null || c.fullTokens() > c.tokens()).isTrue();
            });
        }
        // resumed without the options on the command line: the run's stored ones are taken
        EvolveOptions resumed = dev.evomerge.evolve.ResumedOptions.of(
                options(setup.genomeFile(), storage, true, 2, FitnessOptions.NONE), option -> option.equals(
                        "--max-generation"), change -> { });
        assertThat(resumed.fitness()).isEqualTo(fitness);
        List<String> notes = new ArrayList<>();
        run(resumed, notes);
        try (RunStore s = RunStore.openReadOnly(storage)) {
            FitnessStore f = FitnessStore.reading(s);
            assertThat(f.estimators("anchors")).isEqualTo(Map.of(setup.taskName() + "/acc,none", anchorsBefore));
            assertThat(f.calibration()).hasSize(calibrationRows);
            assertThat(f.candidates().stream().filter(c -> c.generation() == 2))
                    .hasSize(5).allSatisfy(c -> assertThat(c.method()).isEqualTo("anchors"));
        }
        assertThat(notes).noneMatch(n -> n.contains("calibrated"));
    }

    @Test
    void aTaskTooSmallForTheAnchorsIsRefusedInOneSentenceBeforeAnythingIsWritten() {
        Path storage = dir.resolve("too-small");
        EvolutionLauncher launcher = new EvolutionLauncher(options(setup.genomeFile(), storage, false, 1,
                new FitnessOptions(FitnessEstimatorKind.IRT, 100, null, null, null)), w -> { });
        assertThatThrownBy(launcher::prepare).isInstanceOf(EvomergeException.class)
                .hasMessage("task hidden_recipe_mc has 40 documents to evaluate, fewer than --anchors 100; lower "
                        + "--anchors to at most 40 or use --fitness-estimator full.");
        assertThat(storage).doesNotExist();
    }

    @Test
    void aCorpusLevelMetricIsRefusedAndTheGenomeFileCanChooseTheEstimator() throws Exception {
        // the demo's task with f1 (aggregated over all documents' label pairs) as its fitness metric
        Path tasks = Files.createDirectories(dir.resolve("f1-task"));
        String yaml = Files.readString(setup.taskDir().resolve(setup.taskName() + ".yaml"))
                .replace("task: " + setup.taskName(), "task: hidden_recipe_f1")
                .replace("metric_list:\n", "metric_list:\n  - metric: f1\n")
                .replace("data/", setup.taskDir().resolve("data").toAbsolutePath() + "/");
        Files.writeString(tasks.resolve("hidden_recipe_f1.yaml"), yaml);
        Path genome = dir.resolve("f1-genome.yml");
        Files.writeString(genome, Files.readString(setup.genomeFile())
                .replace("name: " + setup.taskName(), "name: hidden_recipe_f1")
                .replace("metric: \"acc,none\"", "metric: \"f1,none\"") + "fitness_estimator: subset\nanchors: 20\n");
        Path storage = dir.resolve("f1-run");
        EvolutionLauncher launcher = new EvolutionLauncher(options(genome, storage, false, 1, FitnessOptions.NONE,
                tasks), w -> { });
        assertThatThrownBy(launcher::prepare).isInstanceOf(EvomergeException.class)
                .hasMessage("task hidden_recipe_f1's fitness metric 'f1' is corpus-level (aggregation f1), so it "
                        + "cannot be estimated from a few documents; use --fitness-estimator full.");
        assertThat(storage).doesNotExist();
        // the command line overrides the genome file's estimator
        new EvolutionLauncher(options(genome, storage, false, 1,
                new FitnessOptions(FitnessEstimatorKind.FULL, null, null, null, null), tasks), w -> { }).prepare();
    }

    /** --recalibrate-every 1: each estimated generation's best is measured, joins the calibration, and irt refits. */
    @Test
    void aRunAddsEachRecalibrationGenerationsBestToTheCalibrationAndRefits() throws Exception {
        Path storage = dir.resolve("recalibrated-run");
        FitnessOptions fitness = new FitnessOptions(FitnessEstimatorKind.IRT, 8, null, null, 1);
        List<String> notes = new ArrayList<>();
        run(options(setup.genomeFile(), storage, false, 2, fitness), notes);

        try (RunStore s = RunStore.openReadOnly(storage)) {
            FitnessStore f = FitnessStore.reading(s);
            List<FitnessStore.CalibrationRow> calibration = f.calibration();
            // 2 input models + 5 first-generation candidates, then the best of generations 1 and 2
            assertThat(calibration).hasSize(9).allSatisfy(row -> assertThat(row.values()).hasSize(40));
            List<FitnessStore.CandidateFitness> labels = f.candidates();
            for (int g = 1; g <= 2; g++) {
                int generation = g;
                FitnessStore.CandidateFitness best = labels.stream().filter(c -> c.generation() == generation)
                        .max(Comparator.comparingDouble(FitnessStore.CandidateFitness::estimate)
                                .thenComparing(c -> -c.index())).orElseThrow();
                FitnessStore.CalibrationRow added = calibration.get(6 + g);
                assertThat(added.model()).isEqualTo("g" + g + "-i" + best.index());
                // its whole-task fitness is the mean of the per-document values it joined the calibration with
                assertThat(best.full()).isCloseTo(added.values().values().stream().mapToDouble(Double::doubleValue)
                        .average().orElseThrow(), offset(1e-12));
                assertThat(best.fullTokens()).isEqualTo(labels.getFirst().tokens());
            }
            JsonNode estimator = new ObjectMapper().readTree(f.estimators("irt").get(setup.taskName() + "/acc,none"));
            assertThat(estimator.get("mirt").get("abilities")).hasSize(9);
            assertThat(estimator.get("anchors")).hasSize(8);
            JsonNode summary = new ObjectMapper().readTree(storage.resolve("summary.json").toFile());
            assertThat(summary.get("fitness").get("recalibrate_every").asInt()).isEqualTo(1);
            assertThat(summary.get("fitness").get("tokens_scored").asLong()).isEqualTo(f.tokensScored());
        }
        assertThat(notes).anyMatch(n -> n.startsWith("fitness: calibrated irt on 7 models"))
                .anyMatch(n -> n.startsWith("fitness: generation 1 estimated (irt)") && n.contains("; recalibrated on 8"
                        + " models, adding candidate "))
                .anyMatch(n -> n.startsWith("fitness: generation 2 estimated (irt)") && n.contains("; recalibrated on 9"
                        + " models"));

        // a resumed run keeps the option
        EvolveOptions resumed = dev.evomerge.evolve.ResumedOptions.of(options(setup.genomeFile(), storage, true, 3,
                FitnessOptions.NONE), option -> option.equals("--max-generation"), change -> { });
        assertThat(resumed.fitness()).isEqualTo(fitness);
    }

    @Test
    void candidatesMeasuredByFullEvalTopJoinTheNextRecalibrationWithoutBeingEvaluatedTwice() throws Exception {
        Path storage = dir.resolve("recalibrated-full-eval-top-run");
        List<String> notes = new ArrayList<>();
        run(options(setup.genomeFile(), storage, false, 2, new FitnessOptions(FitnessEstimatorKind.IRT, 8, null, 1, 2)),
                notes);
        try (RunStore s = RunStore.openReadOnly(storage)) {
            FitnessStore f = FitnessStore.reading(s);
            // generation 1's and 2's best, measured by --full-eval-top 1, joined; generation 2 refitted on all 9
            List<String> names = f.calibration().stream().map(FitnessStore.CalibrationRow::model).toList();
            assertThat(names).hasSize(9);
            assertThat(names.subList(7, 9)).allSatisfy(n -> assertThat(n).startsWith("g"));
            assertThat(names.get(7)).startsWith("g1-i");
            assertThat(names.get(8)).startsWith("g2-i");
            JsonNode estimator = new ObjectMapper().readTree(f.estimators("irt").get(setup.taskName() + "/acc,none"));
            assertThat(estimator.get("mirt").get("abilities")).hasSize(9);
        }
        assertThat(notes).anyMatch(n -> n.startsWith("fitness: generation 1 estimated") && !n.contains("recalibrated"))
                .anyMatch(n -> n.startsWith("fitness: generation 2 estimated") && n.endsWith("; recalibrated on 9 "
                        + "models"));
    }

    /**
     * A full run's tokens scored are its evaluations times the tokens of one whole-task evaluation, which do not depend
     * on the model (context and continuation tokens of each loglikelihood request): what lets EstimatedEvolutionBench
     * compute a full run's tokens from the estimated run's evaluation count (docs/benchmarks.md).
     */
    @Test
    void aFullRunScoresItsEvaluationsTimesOneWholeTaskEvaluationsTokens() throws Exception {
        Path storage = dir.resolve("full-run");
        run(options(setup.genomeFile(), storage, false, 1, FitnessOptions.NONE), new ArrayList<>());

        // one whole-task evaluation of a model the run never saw (the teacher)
        EvolutionLauncher launcher = new EvolutionLauncher(options(setup.genomeFile(), dir.resolve("teacher"), false, 0,
                FitnessOptions.NONE), w -> { });
        EvolutionLauncher.Prepared p = launcher.prepare();
        long wholeTask;
        try (CandidateEvaluator evaluator = launcher.localEvaluator(p)) {
            ScoredEvaluation[] out = new ScoredEvaluation[1];
            double[] genes = setup.targetGenes();
            ((DocumentEvaluator) evaluator).evaluate(List.of(new Candidate(-1, 0, genes, p.genome().decode(genes))),
                    DocumentChoice.ALL, s -> out[0] = s);
            wholeTask = out[0].tokensScored().orElseThrow();
        }
        assertThat(wholeTask).isGreaterThan(40);

        JsonNode summary = new ObjectMapper().readTree(storage.resolve("summary.json").toFile());
        int evaluations = summary.get("evaluations").asInt();
        assertThat(evaluations).isEqualTo(10); // 5 candidates in each of generations 0 and 1
        assertThat(summary.get("fitness").get("tokens_scored").asLong()).isEqualTo(evaluations * wholeTask);
        try (RunStore s = RunStore.openReadOnly(storage)) {
            assertThat(FitnessStore.reading(s).candidates()).hasSize(evaluations)
                    .allSatisfy(c -> assertThat(c.tokens()).isEqualTo(wholeTask));
        }
    }
}
