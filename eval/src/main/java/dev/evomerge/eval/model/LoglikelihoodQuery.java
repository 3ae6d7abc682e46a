package dev.evomerge.eval.model;

/** lm-eval's {@code loglikelihood} request on text: how likely is {@code continuation} after {@code context}. */
public record LoglikelihoodQuery(String context, String continuation) {
}
