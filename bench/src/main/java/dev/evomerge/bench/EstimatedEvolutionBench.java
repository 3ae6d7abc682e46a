package dev.evomerge.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.evolve.CandidateEvaluationOptions;
import dev.evomerge.evolve.EvolutionLauncher;
import dev.evomerge.evolve.EvolutionRun;
import dev.evomerge.evolve.EvolveOptions;
import dev.evomerge.evolve.OptimizerKind;
import dev.evomerge.evolve.SearchOptions;
import dev.evomerge.evolve.demo.HiddenRecipe;
import dev.evomerge.evolve.fitness.FitnessEstimatorKind;
import dev.evomerge.evolve.fitness.FitnessOptions;
import dev.evomerge.eval.DocumentChoice;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.DocumentEvaluator;
import dev.evomerge.evolve.run.ScoredEvaluation;
import dev.evomerge.evolve.run.CandidateEvaluator;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.EvolutionListener;
import dev.evomerge.evolve.run.Fitness;
import dev.evomerge.evolve.LlmOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The same evolution with whole-task fitness and with an estimated fitness (irt by default): tokens scored and the
 * best candidate's whole-task fitness against the teacher's.
 *
 * <p>Per problem seed: {@link HiddenRecipe} builds the demo's models and a {@code --rows}-question task labelled by
 * the hidden recipe; {@link EstimatorBench#writeSecondTask} adds a task of as many other questions labelled by a second
 * teacher. For each task (a genome file with that task as the only fitness term) the teacher's own whole-task fitness
 * is measured through the run's evaluator, then two evolutions run with the same search (CMA-ES, the problem seed as
 * the search seed, {@code --max-generation} generations after the first, evolve's population): one with
 * {@code --fitness-estimator full}, one with the estimator given. Each run's summary.json gives the tokens scored
 * (every candidate, calibration models and the final whole-task checks included) and the best candidate's whole-task
 * fitness (for an estimated run, the best of the final whole-task checks, which best_config.yaml holds).
 *
 * <p>Usage: {@code EstimatedEvolutionBench [--seeds 5] [--first-seed 1] [--rows 1000] [--max-generation 20]
 * [--estimator irt] [--anchors 100] [--recalibrate-every G] [--calibration-limit N] [--tasks hidden,second] [--runs full,estimated] [--scale 0.15] [--threads N]
 * [--work DIR]}. {@code --runs estimated} skips the full run (one already in {@code --work} is still read); the
 * full run's tokens are then computed as the estimated run's evaluations (the same search evaluates as many candidates)
 * times the tokens of the teacher's whole-task evaluation, the column "tokens full, computed".
 */
public final class EstimatedEvolutionBench {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BATCH_SIZE = 32;

    /** One evolution's outcome. */
    record Outcome(long tokens, double bestFull, int evaluations, double seconds) {
    }

    /** The teacher's whole-task fitness and the tokens one whole-task evaluation scores (the same for every model). */
    record Teacher(double fitness, long tokens) {
    }

    private EstimatedEvolutionBench() {
    }

    public static void main(String[] args) throws IOException {
        int seeds = 5;
        long firstSeed = 1;
        int rows = 1000;
        int maxGeneration = 20;
        FitnessEstimatorKind estimator = FitnessEstimatorKind.IRT;
        int anchors = FitnessOptions.DEFAULT_ANCHORS;
        List<String> tasks = List.of("hidden", "second");
        double scale = HiddenRecipe.DEFAULT_SCALE;
        int threads = Runtime.getRuntime().availableProcessors();
        Path work = null;
        Integer recalibrateEvery = null;
        Integer calibrationLimit = null;
        boolean runFull = true;
        boolean runEstimated = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seeds" -> seeds = Integer.parseInt(args[++i]);
                case "--first-seed" -> firstSeed = Long.parseLong(args[++i]);
                case "--rows" -> rows = Integer.parseInt(args[++i]);
                case "--max-generation" -> maxGeneration = Integer.parseInt(args[++i]);
                case "--estimator" -> estimator = FitnessEstimatorKind.parse(args[++i], "--estimator");
                case "--anchors" -> anchors = Integer.parseInt(args[++i]);
                case "--recalibrate-every" -> recalibrateEvery = Integer.parseInt(args[++i]);
                case "--calibration-limit" -> calibrationLimit = Integer.parseInt(args[++i]);
                case "--tasks" -> tasks = List.of(args[++i].split(","));
                case "--scale" -> scale = Double.parseDouble(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--work" -> work = Path.of(args[++i]);
                case "--runs" -> {
                    List<String> runs = List.of(args[++i].split(","));
                    runFull = runs.contains("full");
                    runEstimated = runs.contains("estimated");
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Path dir = work != null ? work : Files.createTempDirectory("evomerge-estimated-evolution-");
        System.out.printf(Locale.ROOT, "estimated evolution bench: %d questions per task, CMA-ES, %d generations after "
                        + "the first, full vs %s (K = %d, recalibrate every %s, calibration limit %s), fine-tune scale "
                        + "%.2f, %d threads, in %s%n", rows, maxGeneration, estimator, anchors,
                recalibrateEvery == null ? "-" : recalibrateEvery, calibrationLimit == null ? "-" : calibrationLimit,
                scale, threads, dir);
        System.out.println("| seed | task | teacher full | tokens full | tokens full, computed | tokens " + estimator
                + " | ratio | best full, full run | best full, " + estimator + " run | " + estimator + " run / teacher "
                + "| evaluations full / " + estimator + " |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        for (long seed = firstSeed; seed < firstSeed + seeds; seed++) {
            Path seedDir = dir.resolve("seed-" + seed);
            // the problem is rebuilt (deterministic for the seed) so that finished full runs in --work can be reused
            deleteTree(seedDir.resolve("problem"));
            deleteTree(seedDir.resolve("second-task"));
            HiddenRecipe.Setup setup = HiddenRecipe.prepare(seedDir.resolve("problem"), seed, rows, threads, scale);
            for (String task : tasks) {
                Path genomeFile;
                Path taskDir;
                double[] teacherGenes;
                if (task.equals("hidden")) {
                    genomeFile = setup.genomeFile();
                    taskDir = setup.taskDir();
                    teacherGenes = setup.targetGenes();
                } else if (task.equals("second")) {
                    taskDir = EstimatorBench.writeSecondTask(seedDir, setup, seed, rows, threads);
                    genomeFile = seedDir.resolve("genome-second.yml");
                    Files.writeString(genomeFile, Files.readString(setup.genomeFile())
                            .replace("name: " + setup.taskName(), "name: " + EstimatorBench.SECOND_TASK));
                    teacherGenes = EstimatorBench.SECOND_TEACHER_GENES.clone();
                } else {
                    throw new IllegalArgumentException("--tasks takes hidden and second, got " + task);
                }
                Teacher teacher = teacherScore(genomeFile, taskDir, seed, threads, teacherGenes);
                Path fullDir = seedDir.resolve(task + "-full");
                Outcome full = runFull || Files.exists(fullDir.resolve("summary.json"))
                        ? evolve(genomeFile, taskDir, fullDir, seed, maxGeneration, threads,
                        new FitnessOptions(FitnessEstimatorKind.FULL, null, null, null, null)) : null;
                Outcome estimated = runEstimated ? evolve(genomeFile, taskDir, seedDir.resolve(task + "-" + estimator
                        + (recalibrateEvery != null ? "-recalibrate" + recalibrateEvery : "")
                        + (calibrationLimit != null ? "-calibration" + calibrationLimit : "")), seed, maxGeneration, threads, new FitnessOptions(estimator, anchors, calibrationLimit, null,
                        recalibrateEvery)) : null;
                // the same search evaluates as many candidates whatever its fitness; with full each is one whole-task
                // evaluation, whose tokens (context + continuations of every request) do not depend on the model
                int evaluations = estimated != null ? estimated.evaluations() : full != null ? full.evaluations() : -1;
                long computed = evaluations < 0 ? -1 : evaluations * teacher.tokens();
                long fullTokens = full != null ? full.tokens() : computed;
                System.out.printf(Locale.ROOT, "| %d | %s | %.4f | %s | %d | %s | %s | %s | %s | %s | %d / %d |%n",
                        seed, task, teacher.fitness(), full != null ? String.valueOf(full.tokens()) : "-", computed,
                        estimated != null ? String.valueOf(estimated.tokens()) : "-",
                        estimated != null ? String.format(Locale.ROOT, "%.2fx", (double) fullTokens / estimated.tokens())
                                : "-",
                        full != null ? String.format(Locale.ROOT, "%.4f (%.1f %%)", full.bestFull(),
                                100 * full.bestFull() / teacher.fitness()) : "-",
                        estimated != null ? String.format(Locale.ROOT, "%.4f", estimated.bestFull()) : "-",
                        estimated != null ? String.format(Locale.ROOT, "%.1f %%",
                                100 * estimated.bestFull() / teacher.fitness()) : "-",
                        full != null ? full.evaluations() : -1, evaluations);
                System.out.flush();
            }
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static EvolveOptions options(Path genomeFile, Path taskDir, Path storage, long seed, int maxGeneration,
                                         int threads, FitnessOptions fitness) {
        return new EvolveOptions(genomeFile, storage, false, SearchOptions.of(OptimizerKind.CMAES, maxGeneration, seed),
                LlmOptions.of(LlmOptions.MODEL, null, null), CandidateEvaluationOptions.inMemory(List.of(taskDir), BATCH_SIZE, threads),
                false, false, false, fitness);
    }

    /**
     * The teacher recipe's whole-task fitness through the run's own evaluator (as the demo measures it) and the tokens
     * that whole-task evaluation scored.
     */
    private static Teacher teacherScore(Path genomeFile, Path taskDir, long seed, int threads, double[] genes) {
        Path storage = genomeFile.resolveSibling("teacher-" + genomeFile.getFileName() + "-run");
        EvolutionLauncher launcher = new EvolutionLauncher(options(genomeFile, taskDir, storage, seed, 0, threads,
                FitnessOptions.NONE), w -> { });
        EvolutionLauncher.Prepared p = launcher.prepare();
        try (CandidateEvaluator evaluator = launcher.localEvaluator(p)) {
            ScoredEvaluation[] out = new ScoredEvaluation[1];
            ((DocumentEvaluator) evaluator).evaluate(List.of(new Candidate(-1, 0, genes, p.genome().decode(genes))),
                    DocumentChoice.ALL, e -> out[0] = e);
            Evaluation e = out[0].evaluation();
            if (e.error() != null) {
                throw new IllegalStateException("the teacher failed to evaluate: " + e.error());
            }
            return new Teacher(Fitness.score(p.config().tasks(), e.metrics()), out[0].tokensScored().orElseThrow());
        }
    }

    private static Outcome evolve(Path genomeFile, Path taskDir, Path storage, long seed, int maxGeneration,
                                  int threads, FitnessOptions fitness) {
        long t0 = System.nanoTime();
        if (Files.exists(storage.resolve("summary.json")) && fitness.kind() == FitnessEstimatorKind.FULL) {
            // the run is deterministic for its seed: a finished full run in --work is reused, not repeated
            return read(storage, -1, 0);
        }
        EvolutionLauncher launcher = new EvolutionLauncher(options(genomeFile, taskDir, storage, seed, maxGeneration,
                threads, fitness), w -> { });
        EvolutionLauncher.Prepared p = launcher.prepare();
        EvolutionRun.Result r = launcher.run(p, launcher::localEvaluator, new EvolutionListener() {
        });
        return read(storage, r.evaluations(), (System.nanoTime() - t0) / 1e9);
    }

    private static Outcome read(Path storage, int evaluations, double seconds) {
        try {
            JsonNode summary = JSON.readTree(Files.readString(storage.resolve("summary.json")));
            JsonNode f = summary.get("fitness");
            if (f == null || !f.has("tokens_scored")) {
                throw new IllegalStateException(storage.resolve("summary.json") + " has no fitness.tokens_scored");
            }
            // best_score: for an estimated run the whole-task fitness of the candidate best_config.yaml holds
            return new Outcome(f.get("tokens_scored").asLong(), summary.get("best_score").asDouble(),
                    evaluations >= 0 ? evaluations : summary.get("evaluations").asInt(), seconds);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + storage.resolve("summary.json"), e);
        }
    }
}
