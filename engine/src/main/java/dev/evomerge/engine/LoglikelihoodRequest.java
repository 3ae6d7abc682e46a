package dev.evomerge.engine;

import java.util.Arrays;

/**
 * One lm-eval loglikelihood request on token ids: score {@code continuation} after {@code context}.
 * The context must not be empty (lm-eval substitutes the BOS/EOS prefix token for an empty one); the continuation
 * must not be empty. Arrays are copied.
 */
public record LoglikelihoodRequest(int[] context, int[] continuation) {

    public LoglikelihoodRequest {
        if (context.length == 0) {
            throw new IllegalArgumentException("loglikelihood context is empty: pass [BOS] (or [EOS]) as lm-eval does");
        }
        if (continuation.length == 0) {
            throw new IllegalArgumentException("loglikelihood continuation is empty");
        }
        context = context.clone();
        continuation = continuation.clone();
    }

    @Override
    public int[] context() {
        return context.clone();
    }

    @Override
    public int[] continuation() {
        return continuation.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LoglikelihoodRequest r && Arrays.equals(context, r.context)
                && Arrays.equals(continuation, r.continuation);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(context) + Arrays.hashCode(continuation);
    }

    @Override
    public String toString() {
        return "LoglikelihoodRequest[context=" + Arrays.toString(context) + ", continuation="
                + Arrays.toString(continuation) + "]";
    }
}
