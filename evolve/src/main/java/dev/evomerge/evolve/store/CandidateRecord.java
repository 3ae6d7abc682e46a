package dev.evomerge.evolve.store;

import java.util.Map;

/**
 * One evaluated candidate as the run store keeps it. {@code score} is negative infinity for a failed candidate,
 * whose {@code error} says why; {@code metrics} maps "task/metric" keys to values.
 */
public record CandidateRecord(int generation, int index, double[] genes, String mergeYaml, double score,
                              Map<String, Double> metrics, Status status, String error, double mergeSeconds,
                              double evalSeconds, String worker) {

    /** Whether the candidate produced a score. */
    public enum Status { OK, FAILED }
}
