package dev.evomerge.evolve.fitness;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.eval.estimate.MultidimensionalIrtEstimator;
import dev.evomerge.eval.estimate.TaskEstimator;
import dev.evomerge.eval.estimate.TaskItem;
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

/** irt's {@code --recalibrate-every G}: the schedule, the refit on the same anchors, the options (a run: EstimatedFitnessRunTest). */
class RecalibrationTest {

    static final int ITEMS = 200;

    @Test
    void everyGthEstimatedGenerationRecalibratesAndZeroNever() {
        Recalibration every5 = new Recalibration(5);
        assertThat(IntStream.rangeClosed(0, 20).filter(every5::due).boxed().toList()).containsExactly(5, 10, 15, 20);
        assertThat(IntStream.rangeClosed(0, 3).filter(new Recalibration(1)::due).boxed().toList())
                .containsExactly(1, 2, 3);
        assertThat(IntStream.rangeClosed(0, 20).anyMatch(new Recalibration(0)::due)).isFalse();
        assertThat(new Recalibration(0).active()).isFalse();
    }

    /** One model's results: correct where its ability beats the item's difficulty, give or take a noisy bar. */
    static TreeMap<Integer, Double> results(double ability, SplittableRandom random) {
        TreeMap<Integer, Double> values = new TreeMap<>();
        for (int j = 0; j < ITEMS; j++) {
            double difficulty = (j + 0.5) / ITEMS;
            values.put(j, ability + 0.3 * (random.nextDouble() - 0.5) > difficulty ? 1.0 : 0.0);
        }
        return values;
    }

    static FitnessStore.CalibrationRow row(String name, TreeMap<Integer, Double> values) {
        return new FitnessStore.CalibrationRow(name, CalibrationTest.TERM.text(), values, 100L);
    }

    static FitnessPlan plan(FitnessOptions options) {
        List<TaskItem> items = IntStream.range(0, ITEMS).mapToObj(TaskItem::of).toList();
        return new FitnessPlan(options, 3, List.of(CalibrationTest.TASK), List.of(CalibrationTest.TERM),
                Map.of("mc", items));
    }

    @Test
    void aRefitKeepsTheAnchorsAndEstimatesCandidatesBeyondTheFirstCalibrationBetter() {
        SplittableRandom random = new SplittableRandom(11);
        // the first calibration scores 0.15-0.45; the search then finds candidates near 0.85
        List<FitnessStore.CalibrationRow> rows = new ArrayList<>();
        for (int m = 0; m < 8; m++) {
            rows.add(row("g0-i" + m, results(0.15 + 0.04 * m, random)));
        }
        FitnessPlan plan = plan(new FitnessOptions(FitnessEstimatorKind.IRT, 40, null, null, 5));
        TaskEstimator first = Calibration.fit(plan, CalibrationTest.TERM, rows);
        List<FitnessStore.CalibrationRow> more = new ArrayList<>(rows);
        for (int m = 0; m < 4; m++) {
            more.add(row("g" + (5 * m + 5) + "-i0", results(0.6 + 0.08 * m, random)));
        }
        TaskEstimator refitted = Recalibration.refit(plan, CalibrationTest.TERM, more, first);

        MultidimensionalIrtEstimator before = (MultidimensionalIrtEstimator) first;
        MultidimensionalIrtEstimator after = (MultidimensionalIrtEstimator) refitted;
        assertThat(after.anchors()).isEqualTo(before.anchors());
        assertThat(after.irt().modelCount()).isEqualTo(12);
        assertThat(before.irt().modelCount()).isEqualTo(8);
        // stored and read back as a resumed run would
        TaskEstimator stored = StoredEstimator.fromJson("mc", StoredEstimator.toJson(refitted));
        assertThat(stored.documents()).isEqualTo(first.documents());

        double errorBefore = 0;
        double errorAfter = 0;
        int candidates = 20;
        for (int c = 0; c < candidates; c++) {
            TreeMap<Integer, Double> all = results(0.78 + 0.1 * c / candidates, random);
            double full = all.values().stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            double[] anchors = first.documents().stream().mapToDouble(all::get).toArray();
            errorBefore += Math.abs(first.estimate(anchors) - full) / candidates;
            errorAfter += Math.abs(stored.estimate(anchors) - full) / candidates;
        }
        assertThat(errorAfter).isLessThan(errorBefore);
    }

    @Test
    void recalibrationIsRefusedForOtherEstimatorsAndNegativeIntervals() {
        assertThatThrownBy(() -> new FitnessOptions(FitnessEstimatorKind.ANCHORS, 10, null, null, 5).checked())
                .isInstanceOf(EvomergeException.class).hasMessage("--recalibrate-every refits an item response model:"
                        + " it applies to --fitness-estimator irt, not anchors.");
        assertThatThrownBy(() -> new FitnessOptions(FitnessEstimatorKind.IRT, 10, null, null, -1).checked())
                .isInstanceOf(EvomergeException.class).hasMessage("--recalibrate-every must be 0 or more, got -1.");
        assertThat(new FitnessOptions(FitnessEstimatorKind.FULL, null, null, null, 0).checked().recalibrationInterval())
                .isZero();
        // the command line wins over the genome file's recalibrate_every
        assertThat(new FitnessOptions(null, null, null, null, 3)
                .over(new FitnessOptions(FitnessEstimatorKind.IRT, null, null, null, 7)).recalibrateEvery()).isEqualTo(3);
    }
}
