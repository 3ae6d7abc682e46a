package dev.evomerge.eval.estimate;

import java.util.List;

/**
 * A random subset of a task's documents; the estimate is the plain mean of the results on them.
 *
 * @param columns   the chosen items' positions in the task's item list, ascending
 * @param documents their document indices, in the same order
 */
public record Subset(String task, List<Integer> columns, List<Integer> documents) implements TaskEstimator {

    public Subset {
        columns = List.copyOf(columns);
        documents = List.copyOf(documents);
        if (columns.size() != documents.size() || columns.isEmpty()) {
            throw new IllegalArgumentException("a subset needs one document per column and at least one of each");
        }
    }

    @Override
    public double estimate(double[] results) {
        TaskEstimator.checkResults(this, results);
        double sum = 0;
        for (double r : results) {
            sum += r;
        }
        return sum / results.length;
    }
}
