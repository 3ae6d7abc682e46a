package dev.evomerge.engine;

import java.util.List;

/**
 * A generated token with its log-probability under the model's unscaled distribution (before temperature / top-k /
 * top-p) and the {@code topLogprobs} most likely alternatives at that step, best first.
 */
public record GeneratedToken(int token, double logprob, List<TokenScore> top) {

    public GeneratedToken {
        top = List.copyOf(top);
    }
}
