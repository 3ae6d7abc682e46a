package dev.evomerge.engine;

/**
 * lm-eval's answer to a loglikelihood request.
 *
 * @param logprob  sum over continuation tokens of log P(token | everything before it), natural log
 * @param isGreedy whether each continuation token is the argmax at its position
 */
public record LoglikelihoodResult(double logprob, boolean isGreedy) {
}
