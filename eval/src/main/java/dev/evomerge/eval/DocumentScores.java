package dev.evomerge.eval;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One task's per-document values of one metric under one filter, as the evaluation aggregated them: for acc, acc_norm
 * and exact_match each value is 0 or 1 (a per-document f1 or mc2 lies in [0, 1]), and a mean-aggregated metric's value
 * is the mean of these. Reported through {@link EvaluationListener#documentScores} for every metric whose per-document
 * values are plain numbers.
 *
 * @param values each document's value keyed by its index (lm-eval's {@code doc_id}: its position among the evaluated
 *               documents, which are the task's documents in file order unless a limit with a shuffle seed samples
 *               them), ascending
 */
public record DocumentScores(String task, String metric, String filter, SortedMap<Integer, Double> values) {

    public DocumentScores {
        values = Collections.unmodifiableSortedMap(new TreeMap<>(values));
    }

    /** lm-eval's key of the aggregate: {@code metric,filter}. */
    public String key() {
        return metric + "," + filter;
    }

    /** The values in document order. */
    public double[] toArray() {
        return values.values().stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** The mean over the documents. */
    public double mean() {
        return values.values().stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    static DocumentScores of(String task, String metric, String filter, Map<Integer, Double> values) {
        return new DocumentScores(task, metric, filter, new TreeMap<>(values));
    }
}
