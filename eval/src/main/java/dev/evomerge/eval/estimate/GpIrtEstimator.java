package dev.evomerge.eval.estimate;

import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * The irt estimator: a 2PL model ({@link TwoParameterIrt}) fitted on the calibration models, anchors chosen by
 * {@link AnchorSelector}, and the two combined as in tinyBenchmarks' gp-IRT.
 *
 * <p>For a candidate with results y_c on the anchors S (|S| = K) of a task of N items:
 * <pre>
 *   theta  = the candidate's ability fitted on (y_c, c in S) with the items fixed
 *   A      = sum over c in S of w_c y_c                     (w_c: anchor c's cluster share, the anchors estimate)
 *   P      = (sum over c in S of y_c + sum over j not in S of P_j(theta)) / N     (p-IRT)
 *   G      = lambda A + (1 - lambda) P                                           (gp-IRT, the estimate)
 * </pre>
 * lambda weighs the two by their errors: lambda = e_P / (e_P + e_A), where e_A and e_P are the mean squared errors of
 * A and P against the full-task mean on calibration models held out of the fit. They are cross-fitted: the calibration
 * models are split into {@value #FOLDS} seeded folds (as many as models when fewer), anchors and 2PL are refitted
 * without each fold, and the fold's models are estimated from their anchor results. With fewer than 3 calibration
 * models, or both errors 0, lambda is 1/2.
 *
 * @param anchors the anchors the candidate is evaluated on
 * @param irt     the 2PL fitted on all calibration models
 * @param lambda  the weight of the anchors estimate, in [0, 1]
 */
public record GpIrtEstimator(Anchors anchors, TwoParameterIrt irt, double lambda) implements AnchoredIrtEstimator {

    static final int FOLDS = 5;

    public GpIrtEstimator {
        AnchoredIrtEstimator.check(anchors, irt.itemCount(), lambda);
    }

    /**
     * Chooses K anchors, fits the 2PL and cross-fits lambda on one task's calibration results.
     *
     * @throws dev.evomerge.core.EvomergeException (usage) when the task has fewer than {@code k} items or the matrix
     *                                             fewer than 2 models
     */
    public static GpIrtEstimator calibrate(CalibrationMatrix calibration, int k, long seed) {
        return calibrate(calibration, k, seed, AnchorSelector.Allocation.ONE_PER_CLUSTER);
    }

    /**
     * {@link #calibrate(CalibrationMatrix, int, long)} with the anchors spread over the clusters by {@code allocation}.
     */
    public static GpIrtEstimator calibrate(CalibrationMatrix calibration, int k, long seed,
                                           AnchorSelector.Allocation allocation) {
        Anchors anchors = AnchorSelector.select(calibration, k, seed, allocation);
        TwoParameterIrt irt = TwoParameterIrt.fit(calibration);
        return new GpIrtEstimator(anchors, irt, crossFittedLambda(calibration, k, seed, allocation));
    }

    @Override
    public double estimate(double[] results) {
        return detail(results).estimate();
    }

    /** The estimate with its parts. */
    public IrtEstimate detail(double[] results) {
        TaskEstimator.checkResults(this, results);
        return combine(anchors, irt, lambda, results);
    }

    private static IrtEstimate combine(Anchors anchors, TwoParameterIrt irt, double lambda, double[] results) {
        List<Integer> columns = anchors.columns();
        double theta = irt.fitAbility(columns, results);
        CurveSums sums = CurveSums.of(columns, results, irt.itemCount(), j -> irt.probability(j, theta));
        double anchorMean = anchors.estimate(results);
        double pIrt = sums.pIrt();
        return new IrtEstimate(theta, sums.curves(), anchorMean, pIrt, lambda * anchorMean + (1 - lambda) * pIrt);
    }

    /** lambda = e_P / (e_P + e_A) from cross-fitted errors on the calibration models (see the class comment). */
    static double crossFittedLambda(CalibrationMatrix calibration, int k, long seed,
                                    AnchorSelector.Allocation allocation) {
        int m = calibration.modelCount();
        if (m < 3) {
            return 0.5;
        }
        int folds = Math.min(FOLDS, m);
        int[] fold = foldOf(m, folds, EstimatorInputs.random(seed ^ 0x5DEECE66DL, calibration.task()));
        double errorAnchors = 0;
        double errorPIrt = 0;
        for (int f = 0; f < folds; f++) {
            int[] train = members(fold, f, false);
            int[] held = members(fold, f, true);
            CalibrationMatrix trainMatrix = calibration.models(train);
            Anchors anchors = AnchorSelector.select(trainMatrix, k, seed, allocation);
            TwoParameterIrt irt = TwoParameterIrt.fit(trainMatrix);
            List<Integer> columns = anchors.columns();
            for (int i : held) {
                double[] results = new double[columns.size()];
                for (int c = 0; c < results.length; c++) {
                    results[c] = calibration.score(i, columns.get(c));
                }
                IrtEstimate e = combine(anchors, irt, 0.5, results);
                double full = calibration.taskMean(i);
                errorAnchors += (e.anchors() - full) * (e.anchors() - full);
                errorPIrt += (e.pIrt() - full) * (e.pIrt() - full);
            }
        }
        double total = errorAnchors + errorPIrt;
        return total > 0 ? errorPIrt / total : 0.5;
    }

    /** Fold of each model: a seeded shuffle of the models dealt round-robin. */
    static int[] foldOf(int models, int folds, SplittableRandom random) {
        int[] order = new int[models];
        for (int i = 0; i < models; i++) {
            order[i] = i;
        }
        for (int i = models - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int[] fold = new int[models];
        for (int p = 0; p < models; p++) {
            fold[order[p]] = p % folds;
        }
        return fold;
    }

    static int[] members(int[] fold, int f, boolean inFold) {
        return IntStream.range(0, fold.length).filter(i -> (fold[i] == f) == inFold).toArray();
    }
}
