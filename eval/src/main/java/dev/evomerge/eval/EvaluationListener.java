package dev.evomerge.eval;

import dev.evomerge.eval.model.Progress;

/** What an evaluation reports while it runs; the CLI prints warnings and draws a progress bar. */
public interface EvaluationListener {

    /** Says nothing. */
    EvaluationListener QUIET = new EvaluationListener() {
        @Override
        public void warning(String message) {
        }

        @Override
        public Progress phase(String name, int total) {
            return Progress.NONE;
        }
    };

    /** Says nothing but hands every {@link #documentScores} report to {@code sink}. */
    static EvaluationListener documentScores(java.util.function.Consumer<DocumentScores> sink) {
        return new EvaluationListener() {
            @Override
            public void warning(String message) {
            }

            @Override
            public Progress phase(String name, int total) {
                return Progress.NONE;
            }

            @Override
            public void documentScores(DocumentScores scores) {
                sink.accept(scores);
            }
        };
    }

    /** One sentence about something ignored or suspicious. */
    void warning(String message);

    /** A phase (e.g. "loglikelihood requests") of {@code total} requests starts; returns where to report progress. */
    Progress phase(String name, int total);

    /** The current phase ended. */
    default void phaseDone() {
    }

    /**
     * A task's per-document values of one metric under one filter, once they are scored and before they are aggregated;
     * called only for metrics whose per-document values are plain numbers (not for perplexities' weighted
     * log-likelihoods, f1's label pairs or brier_score's probabilities).
     */
    default void documentScores(DocumentScores scores) {
    }
}
