package dev.evomerge.eval.reload;

import java.time.Duration;
import java.util.Objects;

/**
 * How asking one server to serve one candidate ended.
 *
 * @param status  what the caller does next (see {@link Status})
 * @param message one sentence naming the server (and the directory), for the candidate's error or the log
 * @param reload  the time of the reload request
 * @param probe   the time of the probe (in-JVM scoring included), zero when none was made
 */
public record CandidateLoad(Status status, String message, Duration reload, Duration probe) {

    public enum Status {
        /** The server serves the candidate (confirmed by the probe, or not probed under {@code none}): evaluate. */
        SERVING,
        /** The server refused the directory and still serves its previous weights: fail the candidate, keep the server. */
        REFUSED,
        /**
         * The server said it loaded the candidate but the probe shows it does not serve it: fail the candidate;
         * the server cannot be trusted with reloads.
         */
        NOT_SERVING_CANDIDATE,
        /** The server did not answer or failed: take it out of the pool; the candidate may go to another server. */
        SERVER_FAILED
    }

    public CandidateLoad {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(reload, "reload");
        Objects.requireNonNull(probe, "probe");
    }

    /** True when the candidate can be evaluated on the server. */
    public boolean serving() {
        return status == Status.SERVING;
    }
}
