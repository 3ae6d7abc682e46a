package dev.evomerge.eval.estimate;

import java.util.Objects;
import java.util.Optional;

/**
 * One document of a task as the estimators see it.
 *
 * @param document its index in the task's evaluation documents (lm-eval's {@code doc_id})
 * @param stratum  the group a stratified subset draws from in proportion (for example the gold answer index), if any
 */
public record TaskItem(int document, Optional<String> stratum) {

    public TaskItem {
        if (document < 0) {
            throw new IllegalArgumentException("document index must be >= 0, got " + document);
        }
        Objects.requireNonNull(stratum, "stratum");
    }

    public static TaskItem of(int document) {
        return new TaskItem(document, Optional.empty());
    }

    public static TaskItem of(int document, String stratum) {
        return new TaskItem(document, Optional.of(stratum));
    }
}
