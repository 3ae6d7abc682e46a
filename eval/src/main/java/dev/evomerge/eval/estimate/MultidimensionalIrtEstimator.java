package dev.evomerge.eval.estimate;

import java.util.List;

/**
 * The irt estimator with a multidimensional ability ({@link MultidimensionalIrt}): anchors chosen by
 * {@link AnchorSelector}, the candidate's ability vector fitted on its anchor results, and the anchors estimate and
 * the IRT prediction combined as in {@link GpIrtEstimator}:
 * <pre>
 *   A = sum over anchors c of w_c y_c
 *   P = (sum over anchors of y_c + sum over other items j of P_j(theta)) / N
 *   G = lambda A + (1 - lambda) P
 * </pre>
 *
 * <p>Calibration chooses the number of dimensions D and lambda on calibration models held out of the fit: the models
 * are split into {@value GpIrtEstimator#FOLDS} seeded folds (as in {@link GpIrtEstimator}), and for each fold the anchors
 * and a MIRT of every D from 1 to the maximum are refitted without it and its models estimated from their anchor
 * results. For each D, lambda is the weight that minimises the squared error of G over those held-out estimates,
 * lambda = sum (P - f)(P - A) / sum (P - A)^2 clipped to [0, 1] (f the full-task score); unlike e_P / (e_P + e_A) it
 * accounts for A and P erring alike. The D with the smallest held-out squared error of G wins (the smaller D on ties),
 * and the final MIRT is fitted on all calibration models. With fewer than 3 calibration models D is 1 and lambda 1/2.
 *
 * @param anchors the anchors the candidate is evaluated on
 * @param irt     the MIRT fitted on all calibration models
 * @param lambda  the weight of the anchors estimate, in [0, 1]
 */
public record MultidimensionalIrtEstimator(Anchors anchors, MultidimensionalIrt irt, double lambda,
                                           Combination combination) implements AnchoredIrtEstimator {

    /** Which two estimates lambda weighs. */
    public enum Combination {
        /** G = lambda A + (1 - lambda) P, tinyBenchmarks' gp-IRT. */
        GP_IRT,
        /**
         * G = lambda R + (1 - lambda) P with R = A + (mean of all curves - sum over anchors c of w_c P_c(theta)): the
         * anchors estimate corrected by the error the fitted curves predict for it (a difference estimator, as survey
         * sampling uses an auxiliary model). R is A where the curves are flat and the full-task mean where the
         * candidate's results follow its curves.
         */
        DIFFERENCE
    }

    /** The gp-IRT combination. */
    public MultidimensionalIrtEstimator(Anchors anchors, MultidimensionalIrt irt, double lambda) {
        this(anchors, irt, lambda, Combination.GP_IRT);
    }

    /** Largest D tried by {@link #calibrate(CalibrationMatrix, int, long)}. */
    public static final int DEFAULT_MAX_DIMENSIONS = 3;

    public MultidimensionalIrtEstimator {
        AnchoredIrtEstimator.check(anchors, irt.itemCount(), lambda);
    }

    /** The parts of one estimate: the fitted ability vector, A, P, R and G (see the class comment). */
    public record Detail(double[] ability, double anchors, double pIrt, double corrected, double estimate) {
    }

    /**
     * The measured best settings (docs/benchmarks.md, "Estimated fitness"): K anchors allocated in proportion to the
     * clusters ({@link AnchorSelector.Allocation#PROPORTIONAL}), the {@link Combination#DIFFERENCE} combination, D in
     * 1..{@value #DEFAULT_MAX_DIMENSIONS} and lambda cross-fitted, discrimination prior sd
     * {@value MultidimensionalIrt#DEFAULT_DISCRIMINATION_SD}.
     *
     * @throws dev.evomerge.core.EvomergeException (usage) when the task has fewer than {@code k} items or the matrix
     *                                             fewer than 2 models
     */
    public static MultidimensionalIrtEstimator calibrate(CalibrationMatrix calibration, int k, long seed) {
        return calibrate(calibration, k, seed, AnchorSelector.Allocation.PROPORTIONAL, DEFAULT_MAX_DIMENSIONS,
                MultidimensionalIrt.DEFAULT_DISCRIMINATION_SD, Combination.DIFFERENCE);
    }

    /** {@link #calibrate(CalibrationMatrix, int, long)} with every choice given. */
    public static MultidimensionalIrtEstimator calibrate(CalibrationMatrix calibration, int k, long seed,
                                                         AnchorSelector.Allocation allocation, int maxDimensions,
                                                         double discriminationSd, Combination combination) {
        return calibrate(calibration, new int[] {k}, seed, allocation, maxDimensions, discriminationSd, combination)
                .getFirst();
    }

    /**
     * One estimator per K, as {@link #calibrate(CalibrationMatrix, int, long, AnchorSelector.Allocation, int, double,
     * Combination)} gives each; the MIRT fits (which do not depend on K) are shared, so this is faster than calibrating
     * each K alone.
     */
    public static List<MultidimensionalIrtEstimator> calibrate(CalibrationMatrix calibration, int[] ks, long seed,
                                                               AnchorSelector.Allocation allocation, int maxDimensions,
                                                               double discriminationSd, Combination combination) {
        if (maxDimensions < 1) {
            throw new IllegalArgumentException("need at least 1 dimension, got " + maxDimensions);
        }
        List<Anchors> anchors = new java.util.ArrayList<>();
        for (int k : ks) {
            anchors.add(AnchorSelector.select(calibration, k, seed, allocation));
        }
        int m = calibration.modelCount();
        if (m < 3) {
            MultidimensionalIrt irt = MultidimensionalIrt.fit(calibration, 1, discriminationSd);
            return anchors.stream().map(a -> new MultidimensionalIrtEstimator(a, irt, 0.5, combination)).toList();
        }
        int folds = Math.min(GpIrtEstimator.FOLDS, m);
        int[] fold = GpIrtEstimator.foldOf(m, folds, EstimatorInputs.random(seed ^ 0x5DEECE66DL, calibration.task()));
        // per K and D: the held-out models' first estimate (A or R) and P
        double[][][] first = new double[ks.length][maxDimensions][m];
        double[][][] p = new double[ks.length][maxDimensions][m];
        double[] full = new double[m];
        for (int i = 0; i < m; i++) {
            full[i] = calibration.taskMean(i);
        }
        for (int f = 0; f < folds; f++) {
            int[] train = GpIrtEstimator.members(fold, f, false);
            int[] held = GpIrtEstimator.members(fold, f, true);
            CalibrationMatrix trainMatrix = calibration.models(train);
            MultidimensionalIrt[] fits = new MultidimensionalIrt[maxDimensions];
            for (int dims = 1; dims <= maxDimensions; dims++) {
                fits[dims - 1] = MultidimensionalIrt.fit(trainMatrix, dims, discriminationSd);
            }
            for (int q = 0; q < ks.length; q++) {
                Anchors foldAnchors = AnchorSelector.select(trainMatrix, ks[q], seed, allocation);
                List<Integer> columns = foldAnchors.columns();
                for (int i : held) {
                    double[] results = new double[columns.size()];
                    for (int c = 0; c < results.length; c++) {
                        results[c] = calibration.score(i, columns.get(c));
                    }
                    for (int dims = 1; dims <= maxDimensions; dims++) {
                        Detail e = combine(foldAnchors, fits[dims - 1], 0.5, combination, results);
                        first[q][dims - 1][i] = combination == Combination.GP_IRT ? e.anchors() : e.corrected();
                        p[q][dims - 1][i] = e.pIrt();
                    }
                }
            }
        }
        MultidimensionalIrt[] finalFits = new MultidimensionalIrt[maxDimensions];
        List<MultidimensionalIrtEstimator> out = new java.util.ArrayList<>();
        for (int q = 0; q < ks.length; q++) {
            int bestDims = 1;
            double bestLambda = 0.5;
            double bestError = Double.POSITIVE_INFINITY;
            for (int dims = 1; dims <= maxDimensions; dims++) {
                double lambda = optimalLambda(first[q][dims - 1], p[q][dims - 1], full);
                double error = 0;
                for (int i = 0; i < m; i++) {
                    double g = lambda * first[q][dims - 1][i] + (1 - lambda) * p[q][dims - 1][i];
                    error += (g - full[i]) * (g - full[i]);
                }
                if (error < bestError - 1e-15) {
                    bestError = error;
                    bestDims = dims;
                    bestLambda = lambda;
                }
            }
            if (finalFits[bestDims - 1] == null) {
                finalFits[bestDims - 1] = MultidimensionalIrt.fit(calibration, bestDims, discriminationSd);
            }
            out.add(new MultidimensionalIrtEstimator(anchors.get(q), finalFits[bestDims - 1], bestLambda,
                    combination));
        }
        return out;
    }

    /** The lambda in [0, 1] minimising sum (lambda A + (1 - lambda) P - f)^2; 1/2 when A and P agree everywhere. */
    static double optimalLambda(double[] a, double[] p, double[] full) {
        double numerator = 0;
        double denominator = 0;
        for (int i = 0; i < full.length; i++) {
            numerator += (p[i] - full[i]) * (p[i] - a[i]);
            denominator += (p[i] - a[i]) * (p[i] - a[i]);
        }
        if (!(denominator > 0)) {
            return 0.5;
        }
        return Math.max(0, Math.min(1, numerator / denominator));
    }

    @Override
    public double estimate(double[] results) {
        return detail(results).estimate();
    }

    /** The estimate with its parts. */
    public Detail detail(double[] results) {
        TaskEstimator.checkResults(this, results);
        return combine(anchors, irt, lambda, combination, results);
    }

    private static Detail combine(Anchors anchors, MultidimensionalIrt irt, double lambda, Combination combination,
                                  double[] results) {
        List<Integer> columns = anchors.columns();
        double[] theta = irt.fitAbility(columns, results);
        CurveSums sums = CurveSums.of(columns, results, irt.itemCount(), j -> irt.probability(j, theta));
        double anchorMean = anchors.estimate(results);
        double anchorCurves = 0;
        for (int c = 0; c < results.length; c++) {
            anchorCurves += anchors.anchors().get(c).weight() * irt.probability(columns.get(c), theta);
        }
        double corrected = anchorMean + sums.curves() - anchorCurves;
        double pIrt = sums.pIrt();
        double first = combination == Combination.GP_IRT ? anchorMean : corrected;
        return new Detail(theta, anchorMean, pIrt, corrected, lambda * first + (1 - lambda) * pIrt);
    }
}
