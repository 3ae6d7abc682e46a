package dev.evomerge.eval.reload;

import java.time.Duration;
import java.util.Objects;

/**
 * What a reload request came to.
 *
 * @param kind    loaded, refused by the server (it still serves its previous weights), or the server failed
 * @param message one sentence naming the server, for the candidate's error or the log
 * @param took    the wall time of the request
 */
public record ReloadOutcome(Kind kind, String message, Duration took) {

    /** The three ways a reload ends; they call for different actions. */
    public enum Kind {
        /** The server says it now serves the new weights (the probe still has to confirm it). */
        LOADED,
        /**
         * The server answered that it cannot load this directory (shape or architecture mismatch, missing directory,
         * corrupt file) and keeps serving what it served: the candidate fails, the server stays usable.
         */
        REFUSED,
        /**
         * The server did not answer (connection refused, timeout) or failed (HTTP 5xx, an answer that is not the
         * protocol's): the server is not usable; the candidate may be retried on another one.
         */
        SERVER_FAILED
    }

    public ReloadOutcome {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(took, "took");
    }

    public static ReloadOutcome loaded(String message, Duration took) {
        return new ReloadOutcome(Kind.LOADED, message, took);
    }

    public static ReloadOutcome refused(String message, Duration took) {
        return new ReloadOutcome(Kind.REFUSED, message, took);
    }

    public static ReloadOutcome serverFailed(String message, Duration took) {
        return new ReloadOutcome(Kind.SERVER_FAILED, message, took);
    }

    /** True when the server says it loaded the weights. */
    public boolean loaded() {
        return kind == Kind.LOADED;
    }
}
