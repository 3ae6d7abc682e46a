package dev.evomerge.evolve.fitness;

import dev.evomerge.eval.estimate.CalibrationMatrix;
import dev.evomerge.eval.estimate.MultidimensionalIrtEstimator;
import dev.evomerge.eval.estimate.TaskEstimator;
import dev.evomerge.eval.estimate.TaskItem;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** A fitted irt estimator read back from its run.db JSON estimates exactly as when it was fitted (a resumed run). */
class StoredEstimatorTest {

    @Test
    void theMultidimensionalIrtEstimatorSurvivesItsJson() {
        SplittableRandom random = new SplittableRandom(41);
        int items = 60;
        List<TaskItem> taskItems = new ArrayList<>();
        for (int j = 0; j < items; j++) {
            taskItems.add(TaskItem.of(j, Integer.toString(j % 4)));
        }
        // 10 models whose chance of a right answer grows with their index, on items of growing difficulty
        double[][] y = new double[10][items];
        for (int i = 0; i < 10; i++) {
            for (int j = 0; j < items; j++) {
                y[i][j] = random.nextDouble() < 1 / (1 + Math.exp(-(i - 5) / 2.0 + (j - 30) / 15.0)) ? 1 : 0;
            }
        }
        MultidimensionalIrtEstimator fitted = MultidimensionalIrtEstimator.calibrate(
                CalibrationMatrix.of("t", taskItems, y), 12, 3);
        TaskEstimator read = StoredEstimator.fromJson("t", StoredEstimator.toJson(fitted));
        assertThat(read).isInstanceOf(MultidimensionalIrtEstimator.class);
        MultidimensionalIrtEstimator back = (MultidimensionalIrtEstimator) read;
        assertThat(back.documents()).isEqualTo(fitted.documents());
        assertThat(back.lambda()).isEqualTo(fitted.lambda());
        assertThat(back.combination()).isEqualTo(fitted.combination());
        assertThat(back.irt().dimensions()).isEqualTo(fitted.irt().dimensions());
        double[] results = new double[fitted.documents().size()];
        for (int c = 0; c < results.length; c++) {
            results[c] = c % 3 == 0 ? 0 : 1;
        }
        assertThat(back.estimate(results)).isEqualTo(fitted.estimate(results));
    }
}
