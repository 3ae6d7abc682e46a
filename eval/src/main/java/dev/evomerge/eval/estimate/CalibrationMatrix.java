package dev.evomerge.eval.estimate;

import dev.evomerge.core.EvomergeException;

import java.util.Arrays;
import java.util.List;

/**
 * Per-document results of calibration models on one task: row i is a model, column j the item {@code items().get(j)},
 * each value in [0, 1] (acc, acc_norm, exact_match, a per-document f1 or mc2). Immutable.
 */
public final class CalibrationMatrix {

    private final String task;
    private final List<TaskItem> items;
    private final double[][] scores;

    private CalibrationMatrix(String task, List<TaskItem> items, double[][] scores) {
        this.task = task;
        this.items = items;
        this.scores = scores;
    }

    /**
     * @param scores one row per calibration model, one column per item; copied
     * @throws EvomergeException (usage) when a value lies outside [0, 1]
     */
    public static CalibrationMatrix of(String task, List<TaskItem> items, double[][] scores) {
        List<TaskItem> itemCopy = List.copyOf(items);
        double[][] copy = new double[scores.length][];
        for (int i = 0; i < scores.length; i++) {
            if (scores[i].length != itemCopy.size()) {
                throw new IllegalArgumentException("calibration row " + i + " of task " + task + " has "
                        + scores[i].length + " values for " + itemCopy.size() + " items");
            }
            copy[i] = scores[i].clone();
            for (int j = 0; j < copy[i].length; j++) {
                double v = copy[i][j];
                if (!(v >= 0 && v <= 1)) {
                    throw EvomergeException.usage("calibration model " + i + " scored " + v + " on document "
                            + itemCopy.get(j).document() + " of task " + task
                            + ", outside [0, 1]; estimated fitness needs a per-document metric in [0, 1], "
                            + "use --fitness-estimator full for this task.");
                }
            }
        }
        return new CalibrationMatrix(task, itemCopy, copy);
    }

    public String task() {
        return task;
    }

    public List<TaskItem> items() {
        return items;
    }

    public int modelCount() {
        return scores.length;
    }

    public int itemCount() {
        return items.size();
    }

    public double score(int model, int item) {
        return scores[model][item];
    }

    /** Model {@code model}'s results on all items (a copy). */
    public double[] row(int model) {
        return scores[model].clone();
    }

    /** Model {@code model}'s mean over all items: the full-task score the estimators approximate. */
    public double taskMean(int model) {
        return Arrays.stream(scores[model]).average().orElse(Double.NaN);
    }

    /** The matrix restricted to the given models, in that order (the items are unchanged). */
    public CalibrationMatrix models(int[] models) {
        double[][] rows = new double[models.length][];
        for (int r = 0; r < models.length; r++) {
            rows[r] = scores[models[r]];
        }
        return new CalibrationMatrix(task, items, rows);
    }

    /** The items' documents, column by column. */
    List<Integer> documents(List<Integer> columns) {
        return columns.stream().map(c -> items.get(c).document()).toList();
    }
}
