package dev.evomerge.merge;

import dev.evomerge.merge.config.MergeConfig;

import java.nio.file.Path;

/**
 * Writes an evolution's candidates to model directories from one kept {@link MergeSession}: the input models are
 * opened, planned and mapped once, and each candidate is merged with its own parameter values (at 760M parameters
 * the session's opening and the mapping of 4.5 GB of inputs were about half of a candidate's merge and write). A
 * candidate whose layout differs from the session's (other models, layer ranges or method, e.g. slerp picking
 * other models per layer group) gets a new session; {@link #reopens()} counts those. Used by every path that writes
 * candidates to disk (the server pool, the on-disk slots and their {@code --eval-server-cmd} servers), so that they
 * pay the same merge. Thread-safe (one candidate written at a time); close it to unmap the inputs.
 */
public final class CandidateModelWriter implements AutoCloseable {

    private final MergeOptions options;
    private MergeSession session;
    private int opened;
    private boolean closed;

    public CandidateModelWriter(MergeOptions options) {
        this.options = options;
    }

    /**
     * Merges {@code candidate} and writes it to {@code out} (which must not exist or be an empty directory; it
     * appears only when complete).
     */
    public synchronized void write(MergeConfig candidate, Path out) {
        if (closed) {
            throw new IllegalStateException("the candidate writer is closed");
        }
        if (session != null && !session.plan().layoutMatches(candidate)) {
            session.close();
            session = null;
        }
        if (session == null) {
            session = MergeSession.open(candidate, options, MergeReporter.silent());
            opened++;
        }
        session.writeModel(candidate, out);
    }

    /** How many times a candidate of another layout made this writer open a new session (the first one not counted). */
    public synchronized int reopens() {
        return Math.max(0, opened - 1);
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (session != null) {
            session.close();
            session = null;
        }
    }
}
