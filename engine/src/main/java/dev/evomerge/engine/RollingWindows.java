package dev.evomerge.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * lm-eval's {@code get_rolling_token_windows(tokens, prefix, maxLength, context_len=1)} followed by
 * {@code make_disjoint_window}: every token is scored exactly once, the first after the prefix token, each window
 * at most {@code maxLength} tokens of input.
 */
public final class RollingWindows {

    private RollingWindows() {
    }

    /** The loglikelihood requests whose summed log-probabilities are the document's. */
    public static List<LoglikelihoodRequest> of(int[] tokens, int prefixToken, int maxLength) {
        if (maxLength < 1) {
            throw new IllegalArgumentException("maxLength must be at least 1");
        }
        List<LoglikelihoodRequest> out = new ArrayList<>();
        if (tokens.length == 0) {
            return out;
        }
        int predLen = maxLength; // max_seq_len - context_len + 1 with context_len = 1
        int firstLen = Math.min(maxLength, tokens.length);
        // First window: [prefix] + tokens[:first-1] predicts tokens[:first]; disjoint form keeps context [prefix].
        out.add(new LoglikelihoodRequest(new int[] {prefixToken}, Arrays.copyOfRange(tokens, 0, firstLen)));
        int predicted = firstLen;
        while (predicted < tokens.length) {
            int windowPredLen = Math.min(tokens.length - predicted, predLen);
            int windowEnd = predicted + windowPredLen;
            int ctxStart = Math.max(0, windowEnd - maxLength - 1);
            int[] context = Arrays.copyOfRange(tokens, ctxStart, windowEnd - 1);
            int[] continuation = Arrays.copyOfRange(tokens, windowEnd - windowPredLen, windowEnd);
            // make_disjoint_window: drop the context tokens that the continuation already covers.
            int[] disjoint = Arrays.copyOf(context, context.length - (continuation.length - 1));
            out.add(new LoglikelihoodRequest(disjoint, continuation));
            predicted += windowPredLen;
        }
        return out;
    }
}
