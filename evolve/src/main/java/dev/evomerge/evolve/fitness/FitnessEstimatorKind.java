package dev.evomerge.evolve.fitness;

import dev.evomerge.core.EvomergeException;

import java.util.Locale;

/** How a candidate's fitness is obtained ({@code --fitness-estimator}); docs/evolution.md, "Estimated fitness". */
public enum FitnessEstimatorKind {
    /** Every candidate evaluated on the whole task (or the genome's {@code limit}): the default. */
    FULL,
    /** The mean over a seeded, stratified subset of K documents per task, the same for every candidate. */
    SUBSET,
    /** Calibration, then the cluster-size-weighted mean over K anchor documents chosen by clustering. */
    ANCHORS,
    /**
     * Calibration, then a multidimensional item response model's prediction from the K anchor documents combined with
     * the anchors' estimate ({@code MultidimensionalIrtEstimator}).
     */
    IRT;

    /** The option value: full, subset, anchors or irt. */
    public String text() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Whether this estimator needs calibration models before it can estimate. */
    public boolean calibrated() {
        return this == ANCHORS || this == IRT;
    }

    /** @param where the option or genome key, for the sentence when the value is unknown */
    public static FitnessEstimatorKind parse(String s, String where) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw EvomergeException.usage(where + " must be full, subset, anchors or irt, got '" + s + "'.");
        }
    }

    @Override
    public String toString() {
        return text();
    }
}
