package dev.evomerge.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.engine.CausalLanguageModel;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.load.LoadedModel;
import dev.evomerge.engine.tokenizer.Tokenizer;
import dev.evomerge.eval.DocumentScores;
import dev.evomerge.eval.EvaluationListener;
import dev.evomerge.eval.EvaluationOptions;
import dev.evomerge.eval.Evaluator;
import dev.evomerge.eval.data.DatasetLoader;
import dev.evomerge.eval.estimate.AnchorSelector;
import dev.evomerge.eval.estimate.CalibrationMatrix;
import dev.evomerge.eval.estimate.GpIrtEstimator;
import dev.evomerge.eval.estimate.MultidimensionalIrt;
import dev.evomerge.eval.estimate.MultidimensionalIrtEstimator;
import dev.evomerge.eval.estimate.RankCorrelation;
import dev.evomerge.eval.estimate.SubsetSelector;
import dev.evomerge.eval.estimate.TaskEstimator;
import dev.evomerge.eval.estimate.TaskItem;
import dev.evomerge.eval.model.LanguageModel;
import dev.evomerge.eval.model.LanguageModels;
import dev.evomerge.eval.model.ModelTokenizer;
import dev.evomerge.eval.synth.SyntheticTasks;
import dev.evomerge.eval.task.TaskCatalog;
import dev.evomerge.evolve.demo.HiddenRecipe;
import dev.evomerge.evolve.genome.GeneLayout;
import dev.evomerge.merge.MergeOptions;
import dev.evomerge.merge.MergeReporter;
import dev.evomerge.merge.MergeSession;
import dev.evomerge.merge.config.MergeConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * How well the estimated-fitness estimators ({@code dev.evomerge.eval.estimate}) predict a candidate's full-task score
 * on the demo's hidden-recipe problem.
 *
 * <p>Per problem seed: {@link HiddenRecipe} builds the demo's base model, two fine-tunes and a multiple-choice task
 * labelled by the hidden recipe (here with {@code --rows} questions, default 1000); a second task of as many
 * questions is labelled by a second teacher, another task_arithmetic recipe of the same fine-tunes
 * ({@link #SECOND_TEACHER_GENES}). The calibration models are the input models (the base, fine-tune A, fine-tune B) and
 * a first generation of {@code --calibration-candidates} random candidates; then {@code --candidates} other random
 * candidates (genes uniform in [0, 1], as random search draws them) are the held-out set. Every model is merged into
 * one resident model (as evolve's in-memory slot does) and evaluated on all documents of both tasks, its per-document
 * acc taken from {@link EvaluationListener#documentScores}. For each task, estimator (subset, anchors, irt, and
 * anchors and irt with {@link AnchorSelector.Allocation#PROPORTIONAL} anchors) and K the
 * bench prints Spearman's rank correlation and the mean absolute error of the estimates against the held-out
 * candidates' full-task acc. Deterministic for a seed.
 *
 * <p>Usage: {@code EstimatorBench [--seeds 1] [--first-seed 1] [--rows 1000] [--calibration-candidates 8]
 * [--candidates 60] [--scale 0.15] [--threads N] [--work DIR]}.
 */
public final class EstimatorBench {

    /** The second teacher's task_arithmetic genes (fine-tune A and B in layer groups 0-1, then 2-3). */
    static final double[] SECOND_TEACHER_GENES = {0.25, 0.70, 0.80, 0.30};
    /** The K measured ({@code --ks}). */
    static int[] ks = {25, 50, 100, 200};
    /** The estimators; "-proportional": anchors spread over the clusters in proportion to their sizes. */
    static final List<String> DEFAULT_ESTIMATORS = List.of("subset", "anchors", "anchors-proportional", "irt",
            "mirt-percluster-gp", "mirt");
    /** The estimators measured ({@code --estimators}; names as {@link #estimators(String, String, List,
     * CalibrationMatrix, long)} reads them). */
    static List<String> estimators = DEFAULT_ESTIMATORS;
    static final String METRIC = "acc,none";
    /** The name {@link HiddenRecipe} gives its task. */
    static final String FIRST_TASK = "hidden_recipe_mc";
    static final String SECOND_TASK = "second_teacher_mc";

    /** One measured cell: a task, an estimator and K on one problem seed. */
    record Cell(long seed, String task, String estimator, int k, double spearman, double mae, double bias,
                int documents, double effectiveDocuments) {
    }

    /** What a problem seed measured about its tasks, for the reading of the table. */
    record TaskFacts(long seed, String task, double[] calibrationScores, double[] heldOutScores,
                     int distinctVectors, double unanimousShare, double irtLambdaAtK100,
                     double proportionalIrtLambdaAtK100, double itemTotal, String mirtAtK100) {
    }

    private EstimatorBench() {
    }

    public static void main(String[] args) throws IOException {
        int seeds = 1;
        long firstSeed = 1;
        int rows = 1000;
        int calibrationCandidates = 8;
        int candidates = 60;
        double scale = HiddenRecipe.DEFAULT_SCALE;
        int threads = Runtime.getRuntime().availableProcessors();
        Path work = null;
        Path matrices = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seeds" -> seeds = Integer.parseInt(args[++i]);
                case "--first-seed" -> firstSeed = Long.parseLong(args[++i]);
                case "--rows" -> rows = Integer.parseInt(args[++i]);
                case "--calibration-candidates" -> calibrationCandidates = Integer.parseInt(args[++i]);
                case "--candidates" -> candidates = Integer.parseInt(args[++i]);
                case "--scale" -> scale = Double.parseDouble(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--work" -> work = Path.of(args[++i]);
                case "--matrices" -> matrices = Path.of(args[++i]);
                case "--estimators" -> estimators = List.of(args[++i].split(","));
                case "--ks" -> ks = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        long t0 = System.nanoTime();
        Path dir = work != null ? work : Files.createTempDirectory("evomerge-estimator-bench-");
        System.out.printf(Locale.ROOT, "estimator bench: %d questions per task, calibration = 3 input models + %d random "
                        + "candidates, %d held-out random candidates, fine-tune scale %.2f, %d threads, in %s%n",
                rows, calibrationCandidates, candidates, scale, threads, dir);
        List<Cell> cells = new ArrayList<>();
        List<TaskFacts> facts = new ArrayList<>();
        for (long seed = firstSeed; seed < firstSeed + seeds; seed++) {
            measure(dir.resolve("seed-" + seed), seed, rows, calibrationCandidates, candidates, scale, threads, cells,
                    facts, matrices);
        }
        System.out.println();
        printFacts(facts);
        System.out.println();
        printTable(cells, seeds);
        System.out.printf(Locale.ROOT, "%ntotal %.0f s%n", (System.nanoTime() - t0) / 1e9);
    }

    private static void measure(Path dir, long seed, int rows, int calibrationCandidates, int candidates, double scale,
                                int threads, List<Cell> cells, List<TaskFacts> facts, Path matrices) {
        if (matrices != null) {
            Optional<ScoreMatrices> stored = ScoreMatrices.read(matrices, seed, rows, calibrationCandidates, candidates,
                    scale);
            if (stored.isPresent()) {
                System.out.printf(Locale.ROOT, "seed %d: per-document results read from %s%n", seed, matrices);
                analyse(seed, stored.get(), cells, facts);
                return;
            }
        }
        long ts = System.nanoTime();
        HiddenRecipe.Setup setup = HiddenRecipe.prepare(dir.resolve("problem"), seed, rows, threads, scale);
        Path secondTask = writeSecondTask(dir, setup, seed, rows, threads);
        GeneLayout layout = setup.genome().layout();
        System.out.printf(Locale.ROOT, "seed %d: models and tasks %.1f s%n", seed, (System.nanoTime() - ts) / 1e9);

        List<double[]> calibration = new ArrayList<>();
        calibration.add(inputModel(layout, -1));
        calibration.add(inputModel(layout, 0));
        calibration.add(inputModel(layout, 1));
        SplittableRandom calibrationRandom = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 1);
        for (int c = 0; c < calibrationCandidates; c++) {
            calibration.add(uniform(layout.size(), calibrationRandom));
        }
        SplittableRandom heldOutRandom = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 2);
        List<double[]> heldOut = new ArrayList<>();
        for (int c = 0; c < candidates; c++) {
            heldOut.add(uniform(layout.size(), heldOutRandom));
        }

        List<String> tasks = List.of(setup.taskName(), SECOND_TASK);
        long te = System.nanoTime();
        Map<String, double[][]> calibrationResults;
        Map<String, double[][]> heldOutResults;
        try (ResidentScorer scorer = new ResidentScorer(setup, List.of(setup.taskDir(), secondTask), tasks, seed,
                threads)) {
            calibrationResults = scorer.scoreAll(calibration);
            heldOutResults = scorer.scoreAll(heldOut);
        }
        int evaluated = calibration.size() + heldOut.size();
        System.out.printf(Locale.ROOT, "seed %d: %d models x %d tasks x %d questions evaluated in %.1f s%n", seed,
                evaluated, tasks.size(), rows, (System.nanoTime() - te) / 1e9);

        Map<String, List<TaskItem>> items = new LinkedHashMap<>();
        for (int t = 0; t < tasks.size(); t++) {
            items.put(tasks.get(t), items(t == 0 ? setup.taskDir() : secondTask, rows));
        }
        ScoreMatrices scores = new ScoreMatrices(tasks, items, calibrationResults, heldOutResults);
        if (matrices != null) {
            scores.write(matrices, seed, rows, calibrationCandidates, candidates, scale);
        }
        analyse(seed, scores, cells, facts);
    }

    /** Every estimator at every K on both tasks, from the per-document results of the calibration and held-out models. */
    private static void analyse(long seed, ScoreMatrices scores, List<Cell> cells, List<TaskFacts> facts) {
        for (String task : scores.tasks()) {
            List<TaskItem> items = scores.items().get(task);
            CalibrationMatrix matrix = CalibrationMatrix.of(task, items, scores.calibration().get(task));
            double[][] held = scores.heldOut().get(task);
            double[] full = Arrays.stream(held).mapToDouble(r -> Arrays.stream(r).average().orElseThrow()).toArray();
            double[] calibrationScores = new double[matrix.modelCount()];
            for (int i = 0; i < calibrationScores.length; i++) {
                calibrationScores[i] = matrix.taskMean(i);
            }
            double[] lambda100 = {Double.NaN, Double.NaN};
            Map<String, String> mirtChoice = new LinkedHashMap<>();
            Map<String, List<TaskEstimator>> byName = new LinkedHashMap<>();
            for (String name : estimators) {
                byName.put(name, estimators(name, task, items, matrix, seed));
            }
            for (int q = 0; q < ks.length; q++) {
                int k = ks[q];
                for (String name : estimators) {
                    TaskEstimator estimator = byName.get(name).get(q);
                    if (estimator instanceof GpIrtEstimator irt && k == 100) {
                        lambda100[name.equals("irt") ? 0 : 1] = irt.lambda();
                    }
                    if (estimator instanceof MultidimensionalIrtEstimator mirt && k == 100) {
                        mirtChoice.put(name, mirt.irt().dimensions() + "/" + String.format(Locale.ROOT, "%.2f",
                                mirt.lambda()));
                    }
                    double[] estimates = new double[held.length];
                    for (int c = 0; c < held.length; c++) {
                        double[] row = held[c];
                        estimates[c] = estimator.estimate(estimator.documents().stream().mapToDouble(d -> row[d])
                                .toArray());
                    }
                    double bias = 0;
                    for (int c = 0; c < held.length; c++) {
                        bias += (estimates[c] - full[c]) / held.length;
                    }
                    cells.add(new Cell(seed, task, name, k, RankCorrelation.spearman(estimates, full),
                            RankCorrelation.meanAbsoluteError(estimates, full), bias, estimator.documents().size(),
                            effectiveDocuments(estimator)));
                }
            }
            facts.add(new TaskFacts(seed, task, calibrationScores, full, distinctVectors(matrix),
                    unanimousShare(matrix), lambda100[0], lambda100[1], itemTotalCorrelation(held, full),
                    mirtChoice.toString()));
        }
    }

    /**
     * The estimators called {@code name} (see {@link #estimators}) for one task, one per K of {@link #ks}. Names:
     * {@code subset}, {@code anchors}, {@code irt} (the 2PL gp-IRT of {@link GpIrtEstimator}), and {@code mirt}
     * ({@link MultidimensionalIrtEstimator} with its defaults: proportional anchors, difference combination); a
     * {@code mirt} name may add {@code -gp} (the gp-IRT combination), {@code -dN} (at most N dimensions), {@code -sdX}
     * (discrimination prior sd), {@code -percluster} (one anchor per cluster); the others take {@code -proportional}.
     */
    private static List<TaskEstimator> estimators(String name, String task, List<TaskItem> items,
                                                  CalibrationMatrix matrix, long seed) {
        if (name.startsWith("mirt")) {
            int dims = MultidimensionalIrtEstimator.DEFAULT_MAX_DIMENSIONS;
            double sd = MultidimensionalIrt.DEFAULT_DISCRIMINATION_SD;
            for (String part : name.split("-")) {
                if (part.startsWith("sd")) {
                    sd = Double.parseDouble(part.substring(2));
                } else if (part.matches("d[0-9]+")) {
                    dims = Integer.parseInt(part.substring(1));
                }
            }
            AnchorSelector.Allocation allocation = name.contains("-percluster")
                    ? AnchorSelector.Allocation.ONE_PER_CLUSTER : AnchorSelector.Allocation.PROPORTIONAL;
            MultidimensionalIrtEstimator.Combination combination = name.contains("-gp")
                    ? MultidimensionalIrtEstimator.Combination.GP_IRT
                    : MultidimensionalIrtEstimator.Combination.DIFFERENCE;
            return List.copyOf(MultidimensionalIrtEstimator.calibrate(matrix, ks, seed, allocation, dims, sd,
                    combination));
        }
        AnchorSelector.Allocation allocation = name.endsWith("-proportional")
                ? AnchorSelector.Allocation.PROPORTIONAL : AnchorSelector.Allocation.ONE_PER_CLUSTER;
        List<TaskEstimator> out = new ArrayList<>();
        for (int k : ks) {
            out.add(switch (name.replace("-proportional", "")) {
                case "subset" -> SubsetSelector.select(task, items, k, seed);
                case "anchors" -> AnchorSelector.select(matrix, k, seed, allocation);
                case "irt" -> GpIrtEstimator.calibrate(matrix, k, seed, allocation);
                default -> throw new IllegalArgumentException("unknown estimator " + name);
            });
        }
        return out;
    }

    /**
     * How many equally weighted documents would give an estimate of the same sampling variance: 1 / sum of squared
     * weights (K for a subset; fewer for anchors whose clusters differ in size).
     */
    private static double effectiveDocuments(TaskEstimator estimator) {
        List<dev.evomerge.eval.estimate.Anchor> anchors = switch (estimator) {
            case dev.evomerge.eval.estimate.Anchors a -> a.anchors();
            case dev.evomerge.eval.estimate.AnchoredIrtEstimator g -> g.anchors().anchors();
            default -> null;
        };
        if (anchors == null) {
            return estimator.documents().size();
        }
        return 1 / anchors.stream().mapToDouble(a -> a.weight() * a.weight()).sum();
    }

    /** The genes of an input model: -1 the base (all weights 0), else fine-tune m alone (weight 1, the other 0). */
    private static double[] inputModel(GeneLayout layout, int m) {
        double[] genes = new double[layout.size()];
        if (m >= 0) {
            for (int g = 0; g < layout.layerGroups(); g++) {
                genes[layout.index(g, m, 0, 0)] = 1;
            }
        }
        return genes;
    }

    private static double[] uniform(int n, SplittableRandom random) {
        double[] genes = new double[n];
        for (int i = 0; i < n; i++) {
            genes[i] = random.nextDouble();
        }
        return genes;
    }

    /** A task of {@code rows} questions labelled by the second teacher, a recipe other than the hidden one. */
    static Path writeSecondTask(Path dir, HiddenRecipe.Setup setup, long seed, int rows, int threads) {
        Path teacher = dir.resolve("problem/models/second-teacher");
        MergeOptions mo = MergeOptions.defaults().withThreads(threads).withRandomSeed(seed)
                .withBaseDirectory(dir.resolve("problem"));
        try (MergeSession s = MergeSession.open(setup.genome().decode(SECOND_TEACHER_GENES), mo, MergeReporter.silent())) {
            s.writeModel(teacher);
        }
        Path taskDir = dir.resolve("second-task");
        try (LanguageModel lm = LanguageModels.embedded(teacher, LoadOptions.defaults().withThreads(threads), true, 32);
             Tokenizer tokenizer = Tokenizer.load(teacher)) {
            // another question seed than the hidden recipe's task, so the two tasks share no questions
            SyntheticTasks.multipleChoice(taskDir, new SyntheticTasks.Options(SECOND_TASK, rows, 5, 4, seed + 7919),
                    Optional.of(lm), Optional.of(new ModelTokenizer(tokenizer)));
        }
        return taskDir;
    }

    /** The task's documents in order, each stratified by its gold answer index. */
    private static List<TaskItem> items(Path taskDir, int rows) {
        ObjectMapper json = new ObjectMapper();
        List<TaskItem> items = new ArrayList<>(rows);
        try {
            for (String line : Files.readAllLines(taskDir.resolve("data/test.jsonl"))) {
                JsonNode doc = json.readTree(line);
                items.add(TaskItem.of(items.size(), doc.get("label").asText()));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + taskDir.resolve("data/test.jsonl") + ": " + e.getMessage(), e);
        }
        if (items.size() != rows) {
            throw new IllegalStateException(taskDir + " has " + items.size() + " documents, expected " + rows);
        }
        return items;
    }

    /** How many different correctness vectors (columns) the calibration models give the items. */
    private static int distinctVectors(CalibrationMatrix m) {
        Set<String> seen = new HashSet<>();
        for (int j = 0; j < m.itemCount(); j++) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < m.modelCount(); i++) {
                sb.append(m.score(i, j) > 0.5 ? '1' : '0');
            }
            seen.add(sb.toString());
        }
        return seen.size();
    }

    /**
     * The mean over items of the correlation between the held-out candidates' results on the item and their full-task
     * scores (items all of them answer alike left out): how much one item tells about the full score.
     */
    private static double itemTotalCorrelation(double[][] held, double[] full) {
        double sum = 0;
        int counted = 0;
        for (int j = 0; j < held[0].length; j++) {
            double[] column = new double[held.length];
            for (int c = 0; c < held.length; c++) {
                column[c] = held[c][j];
            }
            double r = RankCorrelation.pearson(column, full);
            if (!Double.isNaN(r)) {
                sum += r;
                counted++;
            }
        }
        return sum / counted;
    }

    /** The share of items every calibration model gets right, or every one gets wrong. */
    private static double unanimousShare(CalibrationMatrix m) {
        int unanimous = 0;
        for (int j = 0; j < m.itemCount(); j++) {
            double sum = 0;
            for (int i = 0; i < m.modelCount(); i++) {
                sum += m.score(i, j);
            }
            if (sum == 0 || sum == m.modelCount()) {
                unanimous++;
            }
        }
        return (double) unanimous / m.itemCount();
    }

    private static void printFacts(List<TaskFacts> facts) {
        System.out.println("| seed | task | calibration acc (min-max) | held-out acc min-max (sd) | distinct item vectors "
                + "| items all models agree on | irt lambda at K=100 (proportional) | item-total correlation (held-out) "
                + "| mirt D/lambda at K=100 |");
        System.out.println("|---|---|---|---|---|---|---|---|---|");
        for (TaskFacts f : facts) {
            System.out.printf(Locale.ROOT, "| %d | %s | %.3f-%.3f | %.3f-%.3f (%.3f) | %d | %.1f %% | %.2f (%.2f) | %.2f | %s |%n", f.seed(),
                    f.task(), min(f.calibrationScores()), max(f.calibrationScores()), min(f.heldOutScores()),
                    max(f.heldOutScores()), sd(f.heldOutScores()), f.distinctVectors(), 100 * f.unanimousShare(),
                    f.irtLambdaAtK100(), f.proportionalIrtLambdaAtK100(), f.itemTotal(), f.mirtAtK100());
        }
    }

    /** Per task, K and estimator: mean Spearman and MAE over the seeds, with the per-seed values when several. */
    private static void printTable(List<Cell> cells, int seeds) {
        System.out.println("| task | K | estimator | Spearman | MAE | mean error | effective K |"
                + (seeds > 1 ? " Spearman per seed | MAE per seed |" : ""));
        System.out.println("|---|---|---|---|---|---|---|" + (seeds > 1 ? "---|---|" : ""));
        Map<String, List<Cell>> groups = new LinkedHashMap<>();
        for (Cell c : cells) {
            groups.computeIfAbsent(c.task() + "\u0000" + c.k() + "\u0000" + c.estimator(), x -> new ArrayList<>()).add(c);
        }
        List<String> keys = new ArrayList<>(groups.keySet());
        keys.sort(java.util.Comparator.<String, String>comparing(key -> key.split("\u0000")[0],
                        java.util.Comparator.comparingInt(cells.stream().map(Cell::task).distinct().toList()::indexOf))
                .thenComparingInt(key -> Integer.parseInt(key.split("\u0000")[1]))
                .thenComparingInt(key -> estimators.indexOf(key.split("\u0000")[2])));
        for (String key : keys) {
            List<Cell> g = groups.get(key);
            Cell first = g.getFirst();
            double spearman = g.stream().mapToDouble(Cell::spearman).average().orElseThrow();
            double mae = g.stream().mapToDouble(Cell::mae).average().orElseThrow();
            double bias = g.stream().mapToDouble(Cell::bias).average().orElseThrow();
            double effective = g.stream().mapToDouble(Cell::effectiveDocuments).average().orElseThrow();
            String k = first.k() + (g.stream().anyMatch(c -> c.documents() != c.k())
                    ? " (" + g.stream().map(c -> String.valueOf(c.documents())).reduce((a, b) -> a + "/" + b).orElseThrow()
                    + " anchors)" : "");
            System.out.printf(Locale.ROOT, "| %s | %s | %s | %.3f | %.4f | %+.4f | %.0f |%s%n", first.task(), k,
                    first.estimator(), spearman, mae, bias, effective, seeds > 1 ? " " + join(g, Cell::spearman, "%.3f") + " | " + join(g, Cell::mae, "%.4f") + " |" : "");
        }
    }

    private static String join(List<Cell> g, java.util.function.ToDoubleFunction<Cell> f, String format) {
        return String.join(", ", g.stream().map(c -> String.format(Locale.ROOT, format, f.applyAsDouble(c))).toList());
    }

    private static double min(double[] x) {
        return Arrays.stream(x).min().orElseThrow();
    }

    private static double max(double[] x) {
        return Arrays.stream(x).max().orElseThrow();
    }

    private static double sd(double[] x) {
        double mean = Arrays.stream(x).average().orElseThrow();
        return Math.sqrt(Arrays.stream(x).map(v -> (v - mean) * (v - mean)).sum() / (x.length - 1));
    }

    /**
     * One resident model (the base's architecture and tokenizer) whose weights each candidate's merge overwrites, as
     * evolve's in-memory slot does, evaluated on all documents of the tasks with per-document acc.
     */
    private static final class ResidentScorer implements AutoCloseable {

        private final HiddenRecipe.Setup setup;
        private final CausalLanguageModel model;
        private final LanguageModel lm;
        private final MergeOptions mergeOptions;
        private final TaskCatalog.Selection selection;
        private final List<String> tasks;
        private final Map<String, double[]> current = new LinkedHashMap<>();
        private final Evaluator evaluator;
        private MergeSession session;

        ResidentScorer(HiddenRecipe.Setup setup, List<Path> taskDirs, List<String> tasks, long seed, int threads) {
            this.setup = setup;
            this.tasks = tasks;
            Path base = Path.of(setup.genome().definition().baseModel());
            LoadedModel resident = LoadedModel.load(base, LoadOptions.defaults().withThreads(threads));
            this.model = resident.model();
            this.lm = LanguageModels.embedded(resident, "candidate", false, true, 32);
            this.mergeOptions = MergeOptions.defaults().withThreads(threads).withRandomSeed(seed)
                    .withTaskVectorCacheBytes(1L << 30);
            this.selection = TaskCatalog.load(taskDirs, w -> { }).select(tasks);
            this.evaluator = new Evaluator(new DatasetLoader(Optional.empty()),
                    EvaluationListener.documentScores(scores -> {
                        if (scores.key().equals(METRIC)) {
                            current.put(scores.task(), scores.toArray());
                        }
                    }));
        }

        /** Per task, one row of per-document acc per gene vector. */
        Map<String, double[][]> scoreAll(List<double[]> genes) {
            Map<String, double[][]> out = new LinkedHashMap<>();
            tasks.forEach(t -> out.put(t, new double[genes.size()][]));
            for (int c = 0; c < genes.size(); c++) {
                Map<String, double[]> rows = score(setup.genome().decode(genes.get(c)));
                for (String t : tasks) {
                    out.get(t)[c] = rows.get(t);
                }
            }
            return out;
        }

        private Map<String, double[]> score(MergeConfig config) {
            if (session != null && !session.plan().layoutMatches(config)) {
                session.close();
                session = null;
            }
            if (session == null) {
                session = MergeSession.open(config, mergeOptions, MergeReporter.silent());
            }
            var sink = model.weightSink();
            session.mergeInto(config, sink);
            sink.commit();
            current.clear();
            var results = evaluator.evaluate(selection, lm, EvaluationOptions.defaults().withBootstrapIters(0));
            for (String t : tasks) {
                double[] row = current.get(t);
                double aggregate = results.value(t, METRIC);
                double mean = Arrays.stream(row).average().orElseThrow();
                if (Math.abs(mean - aggregate) > 1e-9) {
                    throw new IllegalStateException("task " + t + ": per-document mean " + mean + " != " + aggregate);
                }
            }
            return Map.copyOf(current);
        }

        @Override
        public void close() {
            if (session != null) {
                session.close();
            }
            lm.close();
            model.close();
        }
    }
}
