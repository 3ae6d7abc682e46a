package dev.evomerge.eval.estimate;

import dev.evomerge.core.EvomergeException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The 2PL fit recovers the parameters that simulated the data. */
class TwoParameterIrtTest {

    private static double[] fitted(int n, java.util.function.IntToDoubleFunction f) {
        return IntStream.range(0, n).mapToDouble(f).toArray();
    }

    /** Fits 300 simulated items (typical discrimination 1) from {@code models} models, each result the mean of
     * {@code draws} 0/1 draws, and checks the recovered parameters. */
    private static void assertRecovers(long seed, int models, int draws, double discriminationCorrelation,
                                       double difficultyCorrelation, double abilityError) {
        SplittableRandom random = new SplittableRandom(seed);
        SimulatedResponses sim = SimulatedResponses.items(300, 1.0, random);
        double[] theta = SimulatedResponses.abilities(models, random);
        TwoParameterIrt irt = TwoParameterIrt.fit(sim.matrix("sim", sim.fractional(theta, draws, random)));
        int n = sim.discrimination().length;
        double[] a = fitted(n, irt::discrimination);
        double[] b = fitted(n, irt::difficulty);
        double[] abilities = fitted(theta.length, irt::ability);
        assertThat(RankCorrelation.pearson(a, sim.discrimination())).isGreaterThanOrEqualTo(discriminationCorrelation);
        assertThat(RankCorrelation.pearson(b, sim.difficulty())).isGreaterThanOrEqualTo(difficultyCorrelation);
        // the fit reports abilities with mean 0 and sd 1; compare with the true ones on that scale
        assertThat(RankCorrelation.meanAbsoluteError(abilities, SimulatedResponses.standardised(theta)))
                .isLessThanOrEqualTo(abilityError);
    }

    @Test
    void recoversItemsAndAbilitiesFromZeroOneResults() {
        // A 0/1 result carries little information: with 60 models the correlation of a is about 0.7, the limit of
        // the data, not of the fit. 300 items x 500 models; over seeds 11-15 the correlations were a 0.92-0.94,
        // b 0.96-0.99 and the ability error 0.10-0.11.
        assertRecovers(11, 500, 1, 0.85, 0.93, 0.15);
    }

    @Test
    void recoversItemsAndAbilitiesFromFractionalResults() {
        // 300 items x 60 models, each result the mean of 20 draws (fractional Bernoulli targets); over seeds 11-15
        // the correlations were a 0.96-0.97, b 0.99 and the ability error 0.02-0.03
        assertRecovers(12, 60, 20, 0.9, 0.95, 0.1);
    }

    @Test
    void aNewModelsAbilityAndScoreComeFromItsResultsWithTheItemsFixed() {
        SplittableRandom random = new SplittableRandom(13);
        SimulatedResponses sim = SimulatedResponses.items(300, 1.0, random);
        double[] theta = SimulatedResponses.abilities(300, random);
        TwoParameterIrt irt = TwoParameterIrt.fit(sim.matrix("sim", sim.binary(theta, random)));
        double[] standard = SimulatedResponses.standardised(theta);
        // a calibration model refitted on its own 300 results lands where the joint fit put it
        double[] row = sim.binary(new double[] {theta[0]}, new SplittableRandom(99))[0];
        List<Integer> all = IntStream.range(0, 300).boxed().toList();
        double refit = irt.fitAbility(all, row);
        assertThat(refit).isCloseTo(standard[0], within(0.35));
        // the predicted full-task mean is the mean of the curves, close to the model's observed mean
        assertThat(irt.predictedMean(refit)).isCloseTo(SimulatedResponses.mean(row), within(0.03));
        // more correct answers, higher ability
        double[] better = row.clone();
        for (int j = 0; j < 30; j++) {
            better[j] = 1;
        }
        assertThat(irt.fitAbility(all, better)).isGreaterThan(refit);
    }

    @Test
    void itemsEveryModelGetsRightOrWrongStayFinite() {
        double[][] y = new double[6][3];
        for (int i = 0; i < 6; i++) {
            y[i][0] = 1;
            y[i][1] = 0;
            y[i][2] = i < 3 ? 1 : 0;
        }
        List<TaskItem> items = List.of(TaskItem.of(0), TaskItem.of(1), TaskItem.of(2));
        TwoParameterIrt irt = TwoParameterIrt.fit(CalibrationMatrix.of("t", items, y));
        for (int j = 0; j < 3; j++) {
            assertThat(irt.discrimination(j)).isFinite();
            assertThat(irt.difficulty(j)).isFinite();
        }
        assertThat(irt.probability(0, 0)).isGreaterThan(0.9);
        assertThat(irt.probability(1, 0)).isLessThan(0.1);
        // the split item separates the two halves: models 0-2 above it, 3-5 below
        assertThat(irt.probability(2, irt.ability(0))).isGreaterThan(0.8);
        assertThat(irt.probability(2, irt.ability(5))).isLessThan(0.2);
    }

    @Test
    void oneCalibrationModelIsTooFewInOneSentence() {
        CalibrationMatrix one = CalibrationMatrix.of("arc", List.of(TaskItem.of(0)), new double[][] {{1}});
        assertThatThrownBy(() -> TwoParameterIrt.fit(one)).isInstanceOf(EvomergeException.class)
                .hasMessage("task arc has calibration results of 1 model; the irt estimator needs at least 2.");
    }
}
