package dev.evomerge.merge;

import dev.evomerge.merge.config.MergeConfig;

import java.nio.file.Path;
import java.util.Optional;

/**
 * One {@link MergeSession} kept across an evolution's candidates: the input models are opened, planned and mapped
 * once, and each candidate is merged with its own parameter values (at 760M parameters the session's opening and the
 * mapping of 4.5 GB of inputs were about half of a candidate's merge and write). A candidate whose layout differs
 * from the session's (other models, layer ranges or method, e.g. slerp picking other models per layer group) gets a
 * new session; {@link #reopens()} counts those and {@link #reopenNote} says so. Used by every path that merges
 * candidates: in memory, to disk for the on-disk slots and their {@code --eval-server-cmd} servers, and for the server
 * pool, so that they pay the same merge. Thread-safe (one candidate at a time); close it to unmap the inputs.
 */
public final class KeptMergeSession implements AutoCloseable {

    private final MergeOptions options;
    private MergeSession session;
    private int opened;
    private boolean closed;

    public KeptMergeSession(MergeOptions options) {
        this.options = options;
    }

    /** The kept session if {@code candidate} has its layout, else a new session opened for {@code candidate}. */
    public synchronized MergeSession sessionFor(MergeConfig candidate) {
        if (closed) {
            throw new IllegalStateException("the kept merge session is closed");
        }
        if (session != null && !session.plan().layoutMatches(candidate)) {
            session.close();
            session = null;
        }
        if (session == null) {
            session = MergeSession.open(candidate, options, MergeReporter.silent());
            opened++;
        }
        return session;
    }

    /**
     * Merges {@code candidate} and writes it to {@code out} (which must not exist or be an empty directory; it
     * appears only when complete).
     */
    public synchronized void write(MergeConfig candidate, Path out) {
        sessionFor(candidate).writeModel(candidate, out);
    }

    /** How many times a candidate of another layout made this writer open a new session (the first one not counted). */
    public synchronized int reopens() {
        return Math.max(0, opened - 1);
    }

    /** The line that tells the user {@code owner}'s merges opened the inputs again, when they did. */
    public synchronized Optional<String> reopenNote(String owner) {
        int n = reopens();
        return n == 0 ? Optional.empty() : Optional.of("The merges of " + owner + " opened the input models again " + n
                + " time(s), for candidates whose layout differed from the previous candidate's.");
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
