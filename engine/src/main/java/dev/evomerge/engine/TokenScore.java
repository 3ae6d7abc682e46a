package dev.evomerge.engine;

/** A token id with its log-probability (natural log) at some position. */
public record TokenScore(int token, double logprob) {
}
