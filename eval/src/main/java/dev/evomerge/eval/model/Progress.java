package dev.evomerge.eval.model;

/** Told how many requests of the current phase are done; the CLI draws a bar from it. */
@FunctionalInterface
public interface Progress {

    /** Ignores progress. */
    Progress NONE = n -> {
    };

    /** {@code n} more requests are finished. */
    void advance(int n);
}
