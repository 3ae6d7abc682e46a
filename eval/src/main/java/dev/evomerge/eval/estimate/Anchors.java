package dev.evomerge.eval.estimate;

import java.util.List;

/**
 * Anchor items of a task; the estimate is the cluster-size-weighted mean of the results on them:
 * estimate = sum over anchors c of (|cluster c| / N) * result_c.
 */
public record Anchors(String task, List<Anchor> anchors) implements TaskEstimator {

    public Anchors {
        anchors = List.copyOf(anchors);
        if (anchors.isEmpty()) {
            throw new IllegalArgumentException("task " + task + " needs at least one anchor");
        }
    }

    @Override
    public List<Integer> documents() {
        return anchors.stream().map(Anchor::document).toList();
    }

    /** The anchors' positions in the task's item list, in the order of {@link #documents()}. */
    public List<Integer> columns() {
        return anchors.stream().map(Anchor::column).toList();
    }

    @Override
    public double estimate(double[] results) {
        TaskEstimator.checkResults(this, results);
        double sum = 0;
        for (int c = 0; c < results.length; c++) {
            sum += anchors.get(c).weight() * results[c];
        }
        return sum;
    }
}
