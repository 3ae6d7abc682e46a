package dev.evomerge.evolve.fitness;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.eval.estimate.Anchors;
import dev.evomerge.eval.estimate.MultidimensionalIrtEstimator;
import dev.evomerge.eval.estimate.TaskEstimator;
import dev.evomerge.eval.estimate.TaskItem;
import dev.evomerge.evolve.genome.TaskSpec;
import dev.evomerge.evolve.run.MetricKey;
import dev.evomerge.evolve.store.FitnessStore;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Fitting from stored calibration rows: deterministic for a seed, and stored estimators estimate as fitted ones. */
class CalibrationTest {

    static final TaskSpec TASK = new TaskSpec("mc", 1.0, "acc,none");
    static final MetricKey TERM = MetricKey.of(TASK);
    static final int ITEMS = 80;

    /** Rows of 12 models of graded ability on items of graded difficulty: correct when ability beats a noisy bar. */
    static List<FitnessStore.CalibrationRow> rows(int models) {
        SplittableRandom random = new SplittableRandom(7);
        List<FitnessStore.CalibrationRow> out = new ArrayList<>();
        for (int m = 0; m < models; m++) {
            TreeMap<Integer, Double> values = new TreeMap<>();
            double ability = (m + 1.0) / (models + 1);
            for (int j = 0; j < ITEMS; j++) {
                double difficulty = (j + 0.5) / ITEMS;
                values.put(j, ability + 0.2 * (random.nextDouble() - 0.5) > difficulty ? 1.0 : 0.0);
            }
            out.add(new FitnessStore.CalibrationRow("g0-i" + m, TERM.text(), values, 100L));
        }
        return out;
    }

    static FitnessPlan plan(FitnessEstimatorKind kind, int k, long seed) {
        List<TaskItem> items = IntStream.range(0, ITEMS).mapToObj(TaskItem::of).toList();
        return new FitnessPlan(new FitnessOptions(kind, k, null, null, null), seed, List.of(TASK), List.of(TERM),
                Map.of("mc", items));
    }

    @Test
    void theAnchorsDependOnlyOnTheCalibrationResultsAndTheSeed() {
        List<FitnessStore.CalibrationRow> rows = rows(12);
        TaskEstimator first = Calibration.fit(plan(FitnessEstimatorKind.ANCHORS, 10, 3), TERM, rows);
        TaskEstimator again = Calibration.fit(plan(FitnessEstimatorKind.ANCHORS, 10, 3), TERM, rows);
        TaskEstimator otherSeed = Calibration.fit(plan(FitnessEstimatorKind.ANCHORS, 10, 4), TERM, rows);
        assertThat(first).isInstanceOf(Anchors.class);
        assertThat(again.documents()).isEqualTo(first.documents());
        assertThat(((Anchors) again).anchors()).isEqualTo(((Anchors) first).anchors());
        assertThat(first.documents()).hasSizeBetween(2, 10).allSatisfy(d -> assertThat(d).isBetween(0, ITEMS - 1));
        assertThat(otherSeed.documents()).isNotEqualTo(first.documents());
    }

    @Test
    void aStoredIrtEstimatorEstimatesExactlyAsTheFittedOne() {
        TaskEstimator fitted = Calibration.fit(plan(FitnessEstimatorKind.IRT, 10, 3), TERM, rows(12));
        assertThat(fitted).isInstanceOf(MultidimensionalIrtEstimator.class);
        TaskEstimator stored = StoredEstimator.fromJson("mc", StoredEstimator.toJson(fitted));
        assertThat(stored.documents()).isEqualTo(fitted.documents());
        double[] results = new double[fitted.documents().size()];
        for (int i = 0; i < results.length; i += 2) {
            results[i] = 1;
        }
        assertThat(stored.estimate(results)).isEqualTo(fitted.estimate(results));
        assertThat(fitted.estimate(results)).isBetween(0.0, 1.0);
    }

    @Test
    void oneCalibrationModelIsRefusedInOneSentence() {
        assertThatThrownBy(() -> Calibration.fit(plan(FitnessEstimatorKind.IRT, 10, 3), TERM, rows(1)))
                .isInstanceOf(EvomergeException.class)
                .hasMessage("task mc has calibration results of 1 model(s) for acc,none; --fitness-estimator irt needs"
                        + " at least 2, so the first generation must have at least 2 candidates that score.");
    }

    @Test
    void aModelMissingACalibrationDocumentIsLeftOut() {
        List<FitnessStore.CalibrationRow> rows = new ArrayList<>(rows(3));
        TreeMap<Integer, Double> partial = new TreeMap<>(rows.get(2).values());
        partial.remove(5);
        rows.set(2, new FitnessStore.CalibrationRow("g0-i2", TERM.text(), partial, 100L));
        rows.set(1, new FitnessStore.CalibrationRow("g0-i1", TERM.text(), partial, 100L));
        // two of three rows are incomplete: one model is left, fewer than the two needed
        assertThatThrownBy(() -> Calibration.fit(plan(FitnessEstimatorKind.ANCHORS, 5, 3), TERM, rows))
                .hasMessageContaining("calibration results of 1 model(s)");
    }
}
