package dev.evomerge.bench;

import dev.evomerge.eval.estimate.TaskItem;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Per-document results of the calibration and held-out models on each task of one problem seed, as
 * {@link EstimatorBench} measures them; stored so that estimators can be re-measured without evaluating the models
 * again (the results are deterministic for a seed, so a stored file equals a fresh evaluation).
 *
 * <p>File {@code DIR/seed-S-rows-R-held-H-scale-X/TASK.tsv}: a first line {@code strata} followed by each item's
 * stratum, then one line per model, {@code C} (calibration, input models first) or {@code H} (held out) followed by
 * its per-document values. The calibration candidates are drawn from one seeded stream, so the first 3 + c rows of a
 * file with more calibration candidates are exactly the calibration of c candidates: {@link #read} takes that prefix.
 *
 * @param calibration per task, one row per calibration model
 * @param heldOut     per task, one row per held-out candidate
 */
record ScoreMatrices(List<String> tasks, Map<String, List<TaskItem>> items, Map<String, double[][]> calibration,
                     Map<String, double[][]> heldOut) {

    static final int INPUT_MODELS = 3;

    private static Path folder(Path dir, long seed, int rows, int candidates, double scale) {
        return dir.resolve(String.format(Locale.ROOT, "seed-%d-rows-%d-held-%d-scale-%s", seed, rows, candidates,
                Double.toString(scale)));
    }

    void write(Path dir, long seed, int rows, int calibrationCandidates, int candidates, double scale) {
        Path folder = folder(dir, seed, rows, candidates, scale);
        try {
            Files.createDirectories(folder);
            for (String task : tasks) {
                Optional<ScoreMatrices> old = read(dir, seed, rows, 0, candidates, scale);
                if (old.isPresent() && old.get().calibrationRows(task) > INPUT_MODELS + calibrationCandidates) {
                    continue; // keep the larger calibration already stored; this one is its prefix
                }
                StringBuilder sb = new StringBuilder("strata");
                for (TaskItem item : items.get(task)) {
                    sb.append('\t').append(item.stratum().orElse(""));
                }
                sb.append('\n');
                append(sb, "C", calibration.get(task));
                append(sb, "H", heldOut.get(task));
                Path tmp = folder.resolve(task + ".tsv.tmp");
                Files.writeString(tmp, sb);
                Files.move(tmp, folder.resolve(task + ".tsv"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write per-document results under " + folder, e);
        }
    }

    private int calibrationRows(String task) {
        return calibration.containsKey(task) ? calibration.get(task).length : 0;
    }

    private static void append(StringBuilder sb, String kind, double[][] rows) {
        for (double[] row : rows) {
            sb.append(kind);
            for (double v : row) {
                sb.append('\t').append(v == 0 ? "0" : v == 1 ? "1" : Double.toString(v));
            }
            sb.append('\n');
        }
    }

    /**
     * The stored results for these settings with the first 3 + {@code calibrationCandidates} calibration rows (all of
     * them for 0), or empty when no file holds that many for every task of {@link EstimatorBench}.
     */
    static Optional<ScoreMatrices> read(Path dir, long seed, int rows, int calibrationCandidates, int candidates,
                                        double scale) {
        Path folder = folder(dir, seed, rows, candidates, scale);
        List<String> tasks = List.of(EstimatorBench.FIRST_TASK, EstimatorBench.SECOND_TASK);
        Map<String, List<TaskItem>> items = new LinkedHashMap<>();
        Map<String, double[][]> calibration = new LinkedHashMap<>();
        Map<String, double[][]> heldOut = new LinkedHashMap<>();
        try {
            for (String task : tasks) {
                Path file = folder.resolve(task + ".tsv");
                if (!Files.exists(file)) {
                    return Optional.empty();
                }
                List<String> lines = Files.readAllLines(file);
                String[] strata = lines.getFirst().split("\t", -1);
                List<TaskItem> taskItems = new ArrayList<>();
                for (int j = 1; j < strata.length; j++) {
                    taskItems.add(strata[j].isEmpty() ? TaskItem.of(j - 1) : TaskItem.of(j - 1, strata[j]));
                }
                List<double[]> c = new ArrayList<>();
                List<double[]> h = new ArrayList<>();
                for (String line : lines.subList(1, lines.size())) {
                    String[] f = line.split("\t");
                    double[] row = Arrays.stream(f, 1, f.length).mapToDouble(Double::parseDouble).toArray();
                    (f[0].equals("C") ? c : h).add(row);
                }
                int wanted = calibrationCandidates == 0 ? c.size() : INPUT_MODELS + calibrationCandidates;
                if (c.size() < wanted || h.size() != candidates) {
                    return Optional.empty();
                }
                items.put(task, taskItems);
                calibration.put(task, c.subList(0, wanted).toArray(double[][]::new));
                heldOut.put(task, h.toArray(double[][]::new));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read per-document results under " + folder, e);
        }
        return Optional.of(new ScoreMatrices(tasks, items, calibration, heldOut));
    }
}
