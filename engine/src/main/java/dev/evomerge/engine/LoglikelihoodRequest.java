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

    /**
     * The request as a model with {@code maxLength} positions reads it, lm-eval's hf rule: the last
     * {@code maxLength + 1} tokens of context+continuation (the last token is only predicted, not read). The
     * continuation must fit: at most {@code maxLength} tokens.
     */
    public LoglikelihoodRequest fittedTo(int maxLength) {
        if (continuation.length > maxLength) {
            throw new IllegalArgumentException("a continuation of " + continuation.length
                    + " tokens does not fit " + maxLength + " positions");
        }
        int drop = context.length + continuation.length - (maxLength + 1);
        return drop <= 0 ? this : new LoglikelihoodRequest(Arrays.copyOfRange(context, drop, context.length),
                continuation);
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
