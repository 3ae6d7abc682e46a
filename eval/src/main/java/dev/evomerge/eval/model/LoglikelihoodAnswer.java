package dev.evomerge.eval.model;

/**
 * The answer to a {@link LoglikelihoodQuery}.
 *
 * @param logprob summed natural-log probability of the continuation tokens
 * @param greedy  whether every continuation token is the model's argmax
 */
public record LoglikelihoodAnswer(double logprob, boolean greedy) {
}
