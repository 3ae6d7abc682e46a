package dev.evomerge.engine;

import java.util.Arrays;
import java.util.List;

/**
 * Log-probabilities of a token sequence, aligned with it.
 *
 * @param ids           the sequence
 * @param tokenLogprobs {@code tokenLogprobs[j]} = log P(ids[j] | ids[0..j-1]); {@code tokenLogprobs[0]} is NaN
 *                      (the first token has no context: OpenAI's {@code null})
 * @param topAfter      {@code topAfter.get(j)} = the topN most likely next tokens after {@code ids[0..j]}, best
 *                      first (ties: lower id first); one entry per position, the last one predicts the token after
 *                      the sequence. Empty lists when topN is 0.
 */
public record SequenceLogprobs(int[] ids, double[] tokenLogprobs, List<List<TokenScore>> topAfter) {

    public SequenceLogprobs {
        ids = ids.clone();
        tokenLogprobs = tokenLogprobs.clone();
        topAfter = topAfter.stream().map(List::copyOf).toList();
    }

    @Override
    public int[] ids() {
        return ids.clone();
    }

    @Override
    public double[] tokenLogprobs() {
        return tokenLogprobs.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SequenceLogprobs s && Arrays.equals(ids, s.ids)
                && Arrays.equals(tokenLogprobs, s.tokenLogprobs) && topAfter.equals(s.topAfter);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(ids);
    }

    @Override
    public String toString() {
        return "SequenceLogprobs[ids=" + Arrays.toString(ids) + ", tokenLogprobs=" + Arrays.toString(tokenLogprobs)
                + "]";
    }
}
