package dev.evomerge.engine;

/**
 * The result of lm-eval {@code loglikelihood_rolling}: the summed log-probability (natural log) of all
 * {@code tokenCount} tokens of a document; perplexity is {@code exp(-logprob / tokenCount)}.
 */
public record RollingLoglikelihood(double logprob, int tokenCount) {
}
