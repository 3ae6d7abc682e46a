package dev.evomerge.evolve.fitness;

import dev.evomerge.core.EvomergeException;

/**
 * The estimated-fitness options as given: on the command line ({@code --fitness-estimator}, {@code --anchors},
 * {@code --calibration-limit}, {@code --full-eval-top}, {@code --recalibrate-every}) or as the genome file's keys of
 * the same names ({@code fitness_estimator}, {@code anchors}, {@code calibration_limit}, {@code full_eval_top},
 * {@code recalibrate_every}). A null value was not
 * given; {@link #over} lets the command line win over the genome file, and {@link #resolved} fills the defaults.
 *
 * @param estimator        how fitness is obtained (default full)
 * @param anchors          documents per task a candidate is evaluated on: the subset's size or the number of anchors
 *                         (default {@value #DEFAULT_ANCHORS})
 * @param calibrationLimit calibration models are evaluated on this many documents per task, a seeded stratified
 *                         sample (default: the whole task)
 * @param fullEvalTop      each generation's best N by estimate are also evaluated on the whole task (default 0)
 * @param recalibrateEvery irt: every G-th generation's best candidate by estimate is evaluated on the whole task,
 *                         joins the calibration models with every candidate so measured, and the item response model
 *                         is refitted on the same anchors (default 0: calibrated once; {@link Recalibration})
 */
public record FitnessOptions(FitnessEstimatorKind estimator, Integer anchors, Integer calibrationLimit,
                             Integer fullEvalTop, Integer recalibrateEvery) {

    public static final int DEFAULT_ANCHORS = 100;
    /** Nothing given: today's whole-task fitness. */
    public static final FitnessOptions NONE = new FitnessOptions(null, null, null, null, null);

    /** These values where given, else {@code fallback}'s (the genome file's). */
    public FitnessOptions over(FitnessOptions fallback) {
        return new FitnessOptions(estimator != null ? estimator : fallback.estimator,
                anchors != null ? anchors : fallback.anchors,
                calibrationLimit != null ? calibrationLimit : fallback.calibrationLimit,
                fullEvalTop != null ? fullEvalTop : fallback.fullEvalTop,
                recalibrateEvery != null ? recalibrateEvery : fallback.recalibrateEvery);
    }

    /** The estimator, full when none was given. */
    public FitnessEstimatorKind kind() {
        return estimator == null ? FitnessEstimatorKind.FULL : estimator;
    }

    /** K, {@value #DEFAULT_ANCHORS} when not given. */
    public int anchorCount() {
        return anchors == null ? DEFAULT_ANCHORS : anchors;
    }

    public int fullEvalTopCount() {
        return fullEvalTop == null ? 0 : fullEvalTop;
    }

    /** G of {@code --recalibrate-every}, 0 (calibrated once) when not given. */
    public int recalibrationInterval() {
        return recalibrateEvery == null ? 0 : recalibrateEvery;
    }

    /** Refuses values that mean nothing, one sentence each (before the run writes anything). */
    public FitnessOptions checked() {
        if (anchors != null && anchors < 1) {
            throw EvomergeException.usage("--anchors must be at least 1, got " + anchors + ".");
        }
        if (calibrationLimit != null && calibrationLimit < 1) {
            throw EvomergeException.usage("--calibration-limit must be at least 1, got " + calibrationLimit + ".");
        }
        if (fullEvalTop != null && fullEvalTop < 0) {
            throw EvomergeException.usage("--full-eval-top must be 0 or more, got " + fullEvalTop + ".");
        }
        if (recalibrateEvery != null && recalibrateEvery < 0) {
            throw EvomergeException.usage("--recalibrate-every must be 0 or more, got " + recalibrateEvery + ".");
        }
        if (recalibrationInterval() > 0 && kind() != FitnessEstimatorKind.IRT) {
            throw EvomergeException.usage("--recalibrate-every refits an item response model: it applies to "
                    + "--fitness-estimator irt, not " + kind() + ".");
        }
        if (calibrationLimit != null && anchors != null && calibrationLimit < anchors) {
            throw EvomergeException.usage("--calibration-limit " + calibrationLimit + " is fewer than --anchors "
                    + anchors + ": the anchors are chosen among the calibration documents.");
        }
        if (kind() == FitnessEstimatorKind.FULL && (calibrationLimit != null || fullEvalTop != null && fullEvalTop > 0)) {
            throw EvomergeException.usage("--calibration-limit and --full-eval-top apply to an estimated fitness: "
                    + "add --fitness-estimator subset, anchors or irt.");
        }
        return this;
    }
}
