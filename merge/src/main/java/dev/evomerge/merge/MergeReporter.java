package dev.evomerge.merge;

import dev.evomerge.merge.plan.TensorJob;

/**
 * How a merge talks to whoever runs it (the CLI prints; the evolution loop logs): warnings, and progress over the
 * output tensors. Nothing in the merge module prints. Progress calls come from worker threads.
 */
public interface MergeReporter {

    /** One sentence about something suspicious that does not stop the merge. */
    void warning(String message);

    /** A merge of {@code tensors} output tensors reading {@code inputBytes} bytes starts. */
    default void started(int tensors, long inputBytes) {
    }

    /** One output tensor is written. */
    default void tensorDone(TensorJob job) {
    }

    /** The merge finished (successfully or not). */
    default void finished() {
    }

    /** A reporter that drops everything. */
    static MergeReporter silent() {
        return message -> { };
    }
}
