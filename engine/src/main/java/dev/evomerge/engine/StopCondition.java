package dev.evomerge.engine;

/**
 * A caller's test, after each generated token, of whether to stop: typically decode {@code generated} and look for
 * a stop string. Returning true ends generation with {@link FinishReason#STOP_CONDITION}; the token just generated is
 * kept (callers trim the text themselves). Also usable to cancel (e.g. a client disconnected).
 */
@FunctionalInterface
public interface StopCondition {

    /** Never stops. */
    StopCondition NEVER = generated -> false;

    /** @param generated all tokens generated so far for this request (not the prompt) */
    boolean shouldStop(int[] generated);
}
