package dev.evomerge.evolve.fitness;

import dev.evomerge.eval.estimate.MultidimensionalIrtEstimator;
import dev.evomerge.eval.estimate.TaskEstimator;
import dev.evomerge.evolve.run.MetricKey;
import dev.evomerge.evolve.store.FitnessStore;

import java.util.List;

/**
 * irt's recalibration during the run ({@code --recalibrate-every G}, docs/evolution.md, "Estimated fitness").
 *
 * <p>Why: an item response model predicts well only for models like those it was fitted on. The first calibration
 * (input models and the first generation) lies below what the search soon finds, so later candidates' abilities are
 * extrapolated, and the estimates of close candidates are noisier than their differences. Every G-th generation the
 * best candidate by estimate is evaluated on the whole task; it and every other candidate measured so during the
 * generations ({@code --full-eval-top}) join the calibration models, and the model's item parameters, its number of
 * dimensions and lambda are fitted again, so the calibration follows the search to where it is.
 *
 * <p>The anchor documents stay those of the first calibration: every candidate is evaluated on the same documents
 * throughout, estimates before and after a refit come from the same results, and a resumed run continues with them.
 *
 * @param interval G; 0 calibrates once
 */
record Recalibration(int interval) {

    /** Whether candidates measured on the whole task during the generations join the calibration models. */
    boolean active() {
        return interval > 0;
    }

    /** Whether an estimated generation ends with a recalibration: every G-th (generation 0 is the calibration). */
    boolean due(int generation) {
        return interval > 0 && generation > 0 && generation % interval == 0;
    }

    /**
     * The term's estimator fitted again on every calibration row, on {@code previous}'s anchors (same documents,
     * weights and strata); any other estimator is fitted afresh.
     */
    static TaskEstimator refit(FitnessPlan plan, MetricKey term, List<FitnessStore.CalibrationRow> rows,
                               TaskEstimator previous) {
        TaskEstimator fitted = Calibration.fit(plan, term, rows);
        if (fitted instanceof MultidimensionalIrtEstimator m && previous instanceof MultidimensionalIrtEstimator p) {
            return new MultidimensionalIrtEstimator(p.anchors(), m.irt(), m.lambda(), m.combination());
        }
        return fitted;
    }
}
