package dev.evomerge.evolve.fitness;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.eval.estimate.AnchorSelector;
import dev.evomerge.eval.estimate.CalibrationMatrix;
import dev.evomerge.eval.estimate.GpIrtEstimator;
import dev.evomerge.eval.estimate.MultidimensionalIrtEstimator;
import dev.evomerge.eval.estimate.TaskEstimator;
import dev.evomerge.eval.estimate.TaskItem;
import dev.evomerge.evolve.run.MetricKey;
import dev.evomerge.evolve.store.FitnessStore;

import java.util.ArrayList;
import java.util.List;

/**
 * Fits one fitness term's estimator on the calibration results stored in run.db: a row per calibration model that has
 * a value on every calibration document (a model that failed part-way is left out), columns in the plan's
 * calibration-item order, then {@link AnchorSelector} ({@code anchors}) or {@link MultidimensionalIrtEstimator}
 * ({@code irt}; {@link GpIrtEstimator} is its one-ability form) with the run's seed, so the same stored results always give the same anchors.
 */
final class Calibration {

    private Calibration() {
    }

    static TaskEstimator fit(FitnessPlan plan, MetricKey term, List<FitnessStore.CalibrationRow> rows) {
        List<TaskItem> items = plan.calibrationItems(term.task());
        List<double[]> matrix = new ArrayList<>();
        for (FitnessStore.CalibrationRow r : rows) {
            if (!r.term().equals(term.text())) {
                continue;
            }
            double[] row = new double[items.size()];
            boolean complete = true;
            for (int j = 0; j < row.length && complete; j++) {
                Double v = r.values().get(items.get(j).document());
                complete = v != null;
                row[j] = complete ? v : 0;
            }
            if (complete) {
                matrix.add(row);
            }
        }
        if (matrix.size() < 2) {
            throw EvomergeException.usage("task " + term.task() + " has calibration results of " + matrix.size()
                    + " model(s) for " + term.metric() + "; --fitness-estimator " + plan.kind() + " needs at least 2, so"
                    + " the first generation must have at least 2 candidates that score.");
        }
        CalibrationMatrix m = CalibrationMatrix.of(term.task(), items, matrix.toArray(double[][]::new));
        int k = plan.options().anchorCount();
        // irt: the multidimensional IRT with proportional anchors (measured best: docs/benchmarks.md, "Estimated
        // fitness"); its anchors estimate stays unbiased for candidates better than every calibration model
        return plan.kind() == FitnessEstimatorKind.IRT ? MultidimensionalIrtEstimator.calibrate(m, k, plan.seed())
                : AnchorSelector.select(m, k, plan.seed());
    }

    /** How many calibration models have results for {@code term}. */
    static long models(List<FitnessStore.CalibrationRow> rows, MetricKey term) {
        return rows.stream().filter(r -> r.term().equals(term.text())).count();
    }
}
