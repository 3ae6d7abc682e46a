package dev.evomerge.eval.estimate;

import dev.evomerge.core.EvomergeException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The MIRT fit recovers a known two-dimensional model; its estimator is deterministic and picks D on held-out models. */
class MultidimensionalIrtTest {

    /**
     * A known model of two ability dimensions: item j's discrimination vector points in a uniform direction with
     * length 2 exp(N(0, 0.3^2)), its intercept ~ N(0, 1); abilities ~ N(0, I).
     */
    record TwoDimensional(double[][] a, double[] d) {

        static TwoDimensional items(int n, SplittableRandom random) {
            double[][] a = new double[n][2];
            double[] d = new double[n];
            for (int j = 0; j < n; j++) {
                double angle = random.nextDouble() * 2 * Math.PI;
                double length = 2 * Math.exp(0.3 * random.nextGaussian());
                a[j][0] = length * Math.cos(angle);
                a[j][1] = length * Math.sin(angle);
                d[j] = random.nextGaussian();
            }
            return new TwoDimensional(a, d);
        }

        double probability(int j, double[] theta) {
            return TwoParameterIrt.sigmoid(a[j][0] * theta[0] + a[j][1] * theta[1] + d[j]);
        }

        double[][] abilities(int m, SplittableRandom random) {
            double[][] theta = new double[m][2];
            for (double[] t : theta) {
                t[0] = random.nextGaussian();
                t[1] = random.nextGaussian();
            }
            return theta;
        }

        /** Each result the mean of {@code draws} 0/1 draws. */
        double[][] results(double[][] theta, int draws, SplittableRandom random) {
            double[][] y = new double[theta.length][d.length];
            for (int i = 0; i < theta.length; i++) {
                for (int j = 0; j < d.length; j++) {
                    int hits = 0;
                    for (int t = 0; t < draws; t++) {
                        hits += random.nextDouble() < probability(j, theta[i]) ? 1 : 0;
                    }
                    y[i][j] = (double) hits / draws;
                }
            }
            return y;
        }

        CalibrationMatrix matrix(double[][] y) {
            List<TaskItem> items = new ArrayList<>();
            for (int j = 0; j < d.length; j++) {
                items.add(TaskItem.of(j));
            }
            return CalibrationMatrix.of("sim2d", items, y);
        }
    }

    @Test
    void twoDimensionsRecoverTheProbabilitiesOfATwoDimensionalModelAndOneDimensionDoesNot() {
        // 200 items x 80 models, each result the mean of 10 draws. The fit is identified up to a rotation of the
        // ability plane, so it is judged by what is identified: every P_ij of the calibration models. Measured
        // (seed 31): D = 2 gives a mean absolute error of 0.045 against the true P_ij, D = 1 0.146.
        SplittableRandom random = new SplittableRandom(31);
        TwoDimensional truth = TwoDimensional.items(200, random);
        double[][] theta = truth.abilities(80, random);
        CalibrationMatrix calibration = truth.matrix(truth.results(theta, 10, random));
        MultidimensionalIrt two = MultidimensionalIrt.fit(calibration, 2);
        MultidimensionalIrt one = MultidimensionalIrt.fit(calibration, 1);
        assertThat(two.dimensions()).isEqualTo(2);
        assertThat(probabilityError(two, truth, theta)).isLessThanOrEqualTo(0.07);
        assertThat(probabilityError(one, truth, theta)).isGreaterThanOrEqualTo(0.10);
        // the item's discrimination length (how sharply it separates models) is rotation-invariant: recovered
        double[] trueLength = IntStream.range(0, 200).mapToDouble(j -> Math.hypot(truth.a()[j][0], truth.a()[j][1]))
                .toArray();
        double[] fittedLength = IntStream.range(0, 200).mapToDouble(j -> {
            double[] a = two.discrimination(j);
            return Math.hypot(a[0], a[1]);
        }).toArray();
        assertThat(RankCorrelation.pearson(fittedLength, trueLength)).isGreaterThanOrEqualTo(0.6);
        double[] intercepts = IntStream.range(0, 200).mapToDouble(two::intercept).toArray();
        assertThat(RankCorrelation.pearson(intercepts, truth.d())).isGreaterThanOrEqualTo(0.95);
    }

    @Test
    void aNewModelsScoreComesFromItsResultsOnFewItems() {
        // 2D items fitted from 80 calibration models; 30 new models are estimated from their results on 60 of the
        // 200 items. The predicted full-task score (mean of all curves at the fitted ability) lands within 0.05 of
        // the true expected score on average (measured 0.026 for seed 32).
        SplittableRandom random = new SplittableRandom(32);
        TwoDimensional truth = TwoDimensional.items(200, random);
        MultidimensionalIrt irt = MultidimensionalIrt.fit(truth.matrix(truth.results(truth.abilities(80, random), 10,
                random)), 2);
        double[][] fresh = truth.abilities(30, random);
        double[][] freshResults = truth.results(fresh, 1, random);
        List<Integer> observed = IntStream.range(0, 60).map(c -> c * 3 + 1).boxed().toList();
        double error = 0;
        for (int i = 0; i < fresh.length; i++) {
            double[] theta = irt.fitAbility(observed, SimulatedResponses.pick(freshResults[i], observed));
            double expected = 0;
            for (int j = 0; j < 200; j++) {
                expected += truth.probability(j, fresh[i]) / 200;
            }
            error += Math.abs(irt.predictedMean(theta) - expected) / fresh.length;
        }
        assertThat(error).isLessThanOrEqualTo(0.05);
    }

    @Test
    void oneDimensionAgreesWithTheTwoParameterModel() {
        // the same 2PL, fitted by both classes (priors differ slightly: a ~ N(0, 2^2) here, N(1, 3^2) there), predicts
        // the same full-task means for the calibration models
        SimulatedResponses.Calibrated sim = SimulatedResponses.calibrated(33, 300, 1.5, 60);
        MultidimensionalIrt mirt = MultidimensionalIrt.fit(sim.calibration(), 1);
        TwoParameterIrt irt = TwoParameterIrt.fit(sim.calibration());
        for (int i = 0; i < 60; i++) {
            assertThat(mirt.predictedMean(mirt.ability(i))).isCloseTo(irt.predictedMean(irt.ability(i)), within(0.01));
        }
    }

    @Test
    void theFitAndTheEstimatorAreDeterministic() {
        SimulatedResponses.Calibrated sim = SimulatedResponses.calibrated(34, 120, 2.0, 16);
        MultidimensionalIrt first = MultidimensionalIrt.fit(sim.calibration(), 3);
        MultidimensionalIrt second = MultidimensionalIrt.fit(sim.calibration(), 3);
        for (int j = 0; j < 120; j++) {
            assertThat(second.discrimination(j)).containsExactly(first.discrimination(j));
            assertThat(second.intercept(j)).isEqualTo(first.intercept(j));
        }
        MultidimensionalIrtEstimator e1 = MultidimensionalIrtEstimator.calibrate(sim.calibration(), 20, 5);
        MultidimensionalIrtEstimator e2 = MultidimensionalIrtEstimator.calibrate(sim.calibration(), 20, 5);
        assertThat(e2.documents()).isEqualTo(e1.documents());
        assertThat(e2.lambda()).isEqualTo(e1.lambda());
        assertThat(e2.irt().dimensions()).isEqualTo(e1.irt().dimensions());
        double[] results = SimulatedResponses.pick(sim.calibration().row(0), e1.anchors().columns());
        assertThat(e2.estimate(results)).isEqualTo(e1.estimate(results));
    }

    @Test
    void onTwoDimensionalDataTheEstimatorBeatsARandomSubset() {
        // 300 items of a 2D model, 30 calibration models with 0/1 results, 40 new models, K = 30. Mean absolute
        // error of the estimates against the new models' full-task means; the subset's is averaged over 5 draws.
        // Measured (seed 35): the defaults (proportional anchors, difference combination) 0.020, one anchor per cluster
        // with the gp-IRT combination 0.018, subset 0.067.
        SplittableRandom random = new SplittableRandom(35);
        TwoDimensional truth = TwoDimensional.items(300, random);
        CalibrationMatrix calibration = truth.matrix(truth.results(truth.abilities(30, random), 1, random));
        double[][] fresh = truth.results(truth.abilities(40, random), 1, random);
        double[] full = new double[fresh.length];
        for (int i = 0; i < fresh.length; i++) {
            full[i] = SimulatedResponses.mean(fresh[i]);
        }
        double mirt = meanAbsoluteError(MultidimensionalIrtEstimator.calibrate(calibration, 30, 7), fresh, full);
        double gpIrt = meanAbsoluteError(MultidimensionalIrtEstimator.calibrate(calibration, 30, 7,
                AnchorSelector.Allocation.ONE_PER_CLUSTER, MultidimensionalIrtEstimator.DEFAULT_MAX_DIMENSIONS,
                MultidimensionalIrt.DEFAULT_DISCRIMINATION_SD, MultidimensionalIrtEstimator.Combination.GP_IRT), fresh,
                full);
        double subset = 0;
        for (long s = 0; s < 5; s++) {
            Subset draw = SubsetSelector.select("sim2d", calibration.items(), 30, s);
            double[] bySubset = new double[fresh.length];
            for (int i = 0; i < fresh.length; i++) {
                bySubset[i] = draw.estimate(SimulatedResponses.pick(fresh[i], draw.columns()));
            }
            subset += RankCorrelation.meanAbsoluteError(bySubset, full) / 5;
        }
        assertThat(mirt).isLessThan(0.6 * subset);
        assertThat(gpIrt).isLessThan(0.6 * subset);
    }

    private static double meanAbsoluteError(MultidimensionalIrtEstimator estimator, double[][] fresh, double[] full) {
        assertThat(estimator.irt().dimensions()).isBetween(1, MultidimensionalIrtEstimator.DEFAULT_MAX_DIMENSIONS);
        double[] estimates = new double[fresh.length];
        for (int i = 0; i < fresh.length; i++) {
            estimates[i] = estimator.estimate(SimulatedResponses.pick(fresh[i], estimator.anchors().columns()));
        }
        return RankCorrelation.meanAbsoluteError(estimates, full);
    }

    @Test
    void theDifferenceCombinationCorrectsTheAnchorsByTheCurvesPredictedError() {
        // flat curves (a = 0): P_j is fixed per item, whatever the ability. 4 items with P = 0.2, 0.4, 0.6, 0.8;
        // anchors on items 0 (weight 0.25) and 3 (weight 0.75).
        double[] p = {0.2, 0.4, 0.6, 0.8};
        double[] intercepts = java.util.Arrays.stream(p).map(x -> Math.log(x / (1 - x))).toArray();
        MultidimensionalIrt flat = MultidimensionalIrt.of(new double[4][2], intercepts, new double[][] {{0, 0}});
        Anchors anchors = new Anchors("t", List.of(new Anchor(0, 10, 0.25, 1), new Anchor(3, 13, 0.75, 3)));
        double[] results = {1, 0};
        double a = 0.25;
        double curves = 0.5;
        double anchorCurves = 0.25 * 0.2 + 0.75 * 0.8;
        var gp = new MultidimensionalIrtEstimator(anchors, flat, 0.3).detail(results);
        var difference = new MultidimensionalIrtEstimator(anchors, flat, 0.3,
                MultidimensionalIrtEstimator.Combination.DIFFERENCE).detail(results);
        assertThat(difference.anchors()).isCloseTo(a, within(1e-12));
        assertThat(difference.corrected()).isCloseTo(a + curves - anchorCurves, within(1e-12));
        // P: observed on the anchors (1 + 0), curves elsewhere (0.4 + 0.6), over 4 items
        assertThat(difference.pIrt()).isCloseTo(0.5, within(1e-12));
        assertThat(difference.estimate()).isCloseTo(0.3 * (a + curves - anchorCurves) + 0.7 * 0.5, within(1e-12));
        assertThat(gp.estimate()).isCloseTo(0.3 * a + 0.7 * 0.5, within(1e-12));
    }

    @Test
    void calibratingSeveralKAtOnceGivesWhatEachKGivesAlone() {
        SimulatedResponses.Calibrated sim = SimulatedResponses.calibrated(37, 100, 2.0, 12);
        List<MultidimensionalIrtEstimator> both = MultidimensionalIrtEstimator.calibrate(sim.calibration(),
                new int[] {10, 20}, 3, AnchorSelector.Allocation.PROPORTIONAL, 2, 2.0,
                MultidimensionalIrtEstimator.Combination.DIFFERENCE);
        for (int q = 0; q < 2; q++) {
            MultidimensionalIrtEstimator alone = MultidimensionalIrtEstimator.calibrate(sim.calibration(), 10 * (q + 1),
                    3, AnchorSelector.Allocation.PROPORTIONAL, 2, 2.0, MultidimensionalIrtEstimator.Combination.DIFFERENCE);
            assertThat(both.get(q).documents()).isEqualTo(alone.documents());
            assertThat(both.get(q).lambda()).isEqualTo(alone.lambda());
            assertThat(both.get(q).irt().dimensions()).isEqualTo(alone.irt().dimensions());
        }
    }

    @Test
    void optimalLambdaMinimisesTheCombinedSquaredError() {
        double[] full = {0.5, 0.6, 0.7};
        // A exact, P off: all weight on A
        assertThat(MultidimensionalIrtEstimator.optimalLambda(full, new double[] {0.4, 0.7, 0.6}, full)).isEqualTo(1);
        // P exact: none
        assertThat(MultidimensionalIrtEstimator.optimalLambda(new double[] {0.4, 0.7, 0.6}, full, full)).isEqualTo(0);
        // A and P err in opposite directions by the same amount: half each
        assertThat(MultidimensionalIrtEstimator.optimalLambda(new double[] {0.6, 0.7, 0.8},
                new double[] {0.4, 0.5, 0.6}, full)).isCloseTo(0.5, within(1e-12));
    }

    @Test
    void oneCalibrationModelIsTooFewInOneSentence() {
        CalibrationMatrix one = CalibrationMatrix.of("arc", List.of(TaskItem.of(0)), new double[][] {{1}});
        assertThatThrownBy(() -> MultidimensionalIrt.fit(one, 2)).isInstanceOf(EvomergeException.class)
                .hasMessage("task arc has calibration results of 1 model; the irt estimator needs at least 2.");
    }

    private static double probabilityError(MultidimensionalIrt fit, TwoDimensional truth, double[][] theta) {
        double error = 0;
        for (int i = 0; i < theta.length; i++) {
            double[] fitted = fit.ability(i);
            for (int j = 0; j < truth.d().length; j++) {
                error += Math.abs(fit.probability(j, fitted) - truth.probability(j, theta[i]));
            }
        }
        return error / (theta.length * truth.d().length);
    }
}
