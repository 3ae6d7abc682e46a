package dev.evomerge.eval.estimate;

import java.util.List;

/**
 * Estimates a candidate's mean score over all documents of one task from its results on a few of them.
 * The caller evaluates the candidate on {@link #documents()} and passes the per-document results, in that order, to
 * {@link #estimate(double[])}.
 */
public sealed interface TaskEstimator permits Subset, Anchors, AnchoredIrtEstimator {

    /** The task's name. */
    String task();

    /** The document indices ({@link TaskItem#document()}) to evaluate, in the order {@link #estimate} expects them. */
    List<Integer> documents();

    /** The estimated full-task mean from the results on {@link #documents()}, each in [0, 1]. */
    double estimate(double[] results);

    /** Checks that {@code results} has one value in [0, 1] per document; a wrong length is a programming error. */
    static void checkResults(TaskEstimator estimator, double[] results) {
        if (results.length != estimator.documents().size()) {
            throw new IllegalArgumentException("task " + estimator.task() + " expects results on "
                    + estimator.documents().size() + " documents, got " + results.length);
        }
        for (int i = 0; i < results.length; i++) {
            if (!(results[i] >= 0 && results[i] <= 1)) {
                throw new IllegalArgumentException("result on document " + estimator.documents().get(i) + " of task "
                        + estimator.task() + " is " + results[i] + ", outside [0, 1]");
            }
        }
    }
}
