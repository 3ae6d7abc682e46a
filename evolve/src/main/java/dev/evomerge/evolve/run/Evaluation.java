package dev.evomerge.evolve.run;

import java.util.Map;

/**
 * The outcome of one candidate: fitness = sum(weight * metric), the metrics it came from ("task/metric" keys),
 * or the error that made it fail (then the score is negative infinity).
 */
public record Evaluation(Candidate candidate, double score, Map<String, Double> metrics, String error,
                         double mergeSeconds, double evalSeconds, String worker) implements java.io.Serializable {

    public Evaluation {
        metrics = Map.copyOf(metrics);
    }

    public static Evaluation failed(Candidate c, String error, double mergeSeconds, double evalSeconds, String worker) {
        return new Evaluation(c, Double.NEGATIVE_INFINITY, Map.of(), error, mergeSeconds, evalSeconds, worker);
    }

    public boolean ok() {
        return error == null && Double.isFinite(score);
    }
}
