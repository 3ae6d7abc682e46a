package dev.evomerge.eval.reload;

import java.util.Arrays;

/**
 * The probe's answer from one model: the log-probability of each prompt token after the first, given the tokens
 * before it ({@code logprobs[i]} belongs to {@code tokens[i + 1]}).
 */
public record ProbeLogprobs(int[] tokens, double[] logprobs) {

    public ProbeLogprobs {
        if (logprobs.length != tokens.length - 1) {
            throw new IllegalArgumentException("a probe of " + tokens.length + " tokens has " + (tokens.length - 1)
                    + " logprobs, not " + logprobs.length);
        }
        tokens = tokens.clone();
        logprobs = logprobs.clone();
    }

    @Override
    public int[] tokens() {
        return tokens.clone();
    }

    @Override
    public double[] logprobs() {
        return logprobs.clone();
    }

    /**
     * The mean absolute difference per token, in nats: how far apart two models' probes are. A non-finite logprob
     * on either side makes it infinite (a model that answers NaN is no match for anything).
     */
    public double meanAbsDifference(ProbeLogprobs other) {
        if (!Arrays.equals(tokens, other.tokens)) {
            throw new IllegalArgumentException("probes of different prompts cannot be compared");
        }
        double sum = 0;
        for (int i = 0; i < logprobs.length; i++) {
            double d = Math.abs(logprobs[i] - other.logprobs[i]);
            if (!Double.isFinite(d)) {
                return Double.POSITIVE_INFINITY;
            }
            sum += d;
        }
        return logprobs.length == 0 ? 0 : sum / logprobs.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ProbeLogprobs p && Arrays.equals(tokens, p.tokens) && Arrays.equals(logprobs, p.logprobs);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(tokens) + Arrays.hashCode(logprobs);
    }

    @Override
    public String toString() {
        return "ProbeLogprobs" + Arrays.toString(logprobs);
    }
}
