package dev.evomerge.evolve.run;

import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The outcome of one candidate, from the worker that evaluated it to the run store that keeps it: fitness =
 * sum(weight * metric), the metrics it came from (sorted by key), or the error that made it fail (then the score is
 * negative infinity). A worker reports a NaN score; the run applies the fitness formula before recording it.
 */
public record Evaluation(Candidate candidate, double score, SortedMap<MetricKey, Double> metrics, String error,
                         double mergeSeconds, double evalSeconds, String worker) implements java.io.Serializable {

    public Evaluation {
        metrics = Collections.unmodifiableSortedMap(new TreeMap<>(metrics));
    }

    public Evaluation(Candidate candidate, double score, Map<MetricKey, Double> metrics, String error, double mergeSeconds,
                      double evalSeconds, String worker) {
        this(candidate, score, new TreeMap<>(metrics), error, mergeSeconds, evalSeconds, worker);
    }

    public static Evaluation failed(Candidate c, String error, double mergeSeconds, double evalSeconds, String worker) {
        return new Evaluation(c, Double.NEGATIVE_INFINITY, Map.of(), error, mergeSeconds, evalSeconds, worker);
    }

    /** This evaluation with another score. */
    public Evaluation withScore(double s) {
        return new Evaluation(candidate, s, metrics, error, mergeSeconds, evalSeconds, worker);
    }

    /** This evaluation as a failure with {@code reason}: its metrics and timings kept, its score negative infinity. */
    public Evaluation failedWith(String reason) {
        return new Evaluation(candidate, Double.NEGATIVE_INFINITY, metrics, reason, mergeSeconds, evalSeconds, worker);
    }

    /** Whether the candidate produced a score. */
    public boolean ok() {
        return error == null && Double.isFinite(score);
    }

    /** This evaluation with the worker's name replaced. */
    public Evaluation withWorker(String name) {
        return new Evaluation(candidate, score, metrics, error, mergeSeconds, evalSeconds, name);
    }

    /** The best of these that produced a score, the earliest (generation, index) on ties; null when none did. */
    public static Evaluation best(Collection<Evaluation> evaluations) {
        Evaluation best = null;
        for (Evaluation e : evaluations) {
            if (e.ok() && (best == null || e.score() > best.score() || e.score() == best.score() && earlier(e, best))) {
                best = e;
            }
        }
        return best;
    }

    private static boolean earlier(Evaluation a, Evaluation b) {
        Candidate x = a.candidate();
        Candidate y = b.candidate();
        return x.generation() != y.generation() ? x.generation() < y.generation() : x.index() < y.index();
    }
}
