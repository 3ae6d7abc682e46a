package dev.evomerge.eval.estimate;

import dev.evomerge.core.EvomergeException;

import java.util.Arrays;
import java.util.List;

/**
 * A two-parameter logistic item response model fitted to a calibration matrix.
 *
 * <p>Model i answers item j correctly with probability P_ij = sigmoid(a_j (theta_i - b_j)): a_j is the item's
 * discrimination, b_j its difficulty, theta_i the model's ability. Internally the logit is written
 * a_j theta_i + d_j with intercept d_j = -a_j b_j, in which each block below is a convex problem.
 *
 * <p>Fit: maximum a posteriori on continuous results y_ij in [0, 1], read as Bernoulli log-likelihoods with fractional
 * targets, sum of y log P + (1 - y) log(1 - P). Weak Gaussian priors keep every parameter finite (an item every model
 * gets right has no finite maximum-likelihood intercept) and fix the scale: theta_i ~ N(0, 1),
 * a_j ~ N(1, {@value #DISCRIMINATION_SD}^2), d_j ~ N(0, {@value #INTERCEPT_SD}^2). The optimiser alternates one damped
 * Newton step per ability (one variable each) with one damped Newton step per item (a 2x2 system in a_j, d_j), then
 * shifts and rescales the abilities to mean 0 and standard deviation 1 over the calibration models, changing a_j and
 * d_j so that every logit stays the same. That makes the fit identified (theta -> s theta + m with a -> a / s,
 * b -> s b + m leaves every P unchanged otherwise) and matches the N(0, 1) prior used when a new model's ability is
 * fitted. It stops when no parameter moves by more than {@value #TOLERANCE} in a round, or after
 * {@value #MAX_ITERATIONS} rounds.
 */
public final class TwoParameterIrt {

    static final double DISCRIMINATION_SD = 3;
    static final double INTERCEPT_SD = 5;
    static final double TOLERANCE = 1e-5;
    static final int MAX_ITERATIONS = 500;
    /** Largest Newton step on one parameter; keeps the first rounds stable when all results of an item agree. */
    private static final double MAX_STEP = 2;

    private final double[] discrimination;
    private final double[] intercept;
    private final double[] ability;

    private TwoParameterIrt(double[] discrimination, double[] intercept, double[] ability) {
        this.discrimination = discrimination;
        this.intercept = intercept;
        this.ability = ability;
    }

    /** Fits items and abilities; needs at least two calibration models. */
    public static TwoParameterIrt fit(CalibrationMatrix calibration) {
        int m = calibration.modelCount();
        int n = calibration.itemCount();
        if (m < 2) {
            throw EvomergeException.usage("task " + calibration.task() + " has calibration results of "
                    + m + " model; the irt estimator needs at least 2.");
        }
        double[][] y = new double[m][];
        for (int i = 0; i < m; i++) {
            y[i] = calibration.row(i);
        }
        double[] a = new double[n];
        double[] d = new double[n];
        double[] theta = new double[m];
        Arrays.fill(a, 1);
        // start from each model's logit mean (standardised) and each item's logit mean, with a_j = 1
        for (int i = 0; i < m; i++) {
            theta[i] = logit(mean(y[i]));
        }
        standardise(theta, a, d);
        Arrays.fill(a, 1);
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int i = 0; i < m; i++) {
                s += y[i][j];
            }
            d[j] = logit(s / m);
        }
        for (int round = 0; round < MAX_ITERATIONS; round++) {
            double[] oldTheta = theta.clone();
            double[] oldA = a.clone();
            double[] oldD = d.clone();
            for (int i = 0; i < m; i++) {
                theta[i] = abilityStep(theta[i], y[i], a, d, null);
            }
            for (int j = 0; j < n; j++) {
                itemStep(j, y, theta, a, d);
            }
            standardise(theta, a, d);
            double change = Math.max(maxChange(oldTheta, theta), Math.max(maxChange(oldA, a), maxChange(oldD, d)));
            if (change < TOLERANCE) {
                break;
            }
        }
        return new TwoParameterIrt(a, d, theta);
    }

    /**
     * A fitted model from stored parameters (a resumed run reuses its calibration instead of refitting).
     *
     * @param discrimination a_j per item
     * @param intercept      d_j = -a_j b_j per item (stored instead of b_j, which is infinite where a_j is 0)
     * @param abilities      the calibration models' abilities
     */
    public static TwoParameterIrt of(double[] discrimination, double[] intercept, double[] abilities) {
        if (discrimination.length != intercept.length || discrimination.length == 0) {
            throw new IllegalArgumentException("need one discrimination and one intercept per item, got "
                    + discrimination.length + " and " + intercept.length);
        }
        return new TwoParameterIrt(discrimination.clone(), intercept.clone(), abilities.clone());
    }

    /** Item j's discrimination a_j. */
    public double discrimination(int item) {
        return discrimination[item];
    }

    /** Item j's difficulty b_j = -d_j / a_j: the ability at which P = 1/2 (infinite when a_j is 0). */
    public double difficulty(int item) {
        return -intercept[item] / discrimination[item];
    }

    /** Item j's intercept d_j = -a_j b_j, the logit at ability 0. */
    public double intercept(int item) {
        return intercept[item];
    }

    /** Calibration model i's fitted ability (mean 0, standard deviation 1 over the calibration models). */
    public double ability(int model) {
        return ability[model];
    }

    public int itemCount() {
        return discrimination.length;
    }

    public int modelCount() {
        return ability.length;
    }

    /** P(correct) of item j for ability theta. */
    public double probability(int item, double theta) {
        return sigmoid(discrimination[item] * theta + intercept[item]);
    }

    /** The mean of all items' curves at ability theta: the predicted full-task score. */
    public double predictedMean(double theta) {
        double s = 0;
        for (int j = 0; j < discrimination.length; j++) {
            s += probability(j, theta);
        }
        return s / discrimination.length;
    }

    /**
     * A new model's ability from its results on some items, items fixed: the maximum of the same likelihood plus
     * the N(0, 1) prior, by Newton's method (one variable, concave objective).
     *
     * @param items   positions in the task's item list
     * @param results the model's results on them, in [0, 1]
     */
    public double fitAbility(List<Integer> items, double[] results) {
        int[] columns = items.stream().mapToInt(Integer::intValue).toArray();
        double theta = 0;
        for (int iteration = 0; iteration < 100; iteration++) {
            double next = abilityStep(theta, results, discrimination, intercept, columns);
            if (Math.abs(next - theta) < 1e-10) {
                return next;
            }
            theta = next;
        }
        return theta;
    }

    /**
     * One damped Newton step on an ability. With {@code columns} null, y holds all items; otherwise y[k] is the
     * result on item columns[k].
     */
    private static double abilityStep(double theta, double[] y, double[] a, double[] d, int[] columns) {
        double gradient = theta;
        double curvature = 1;
        int count = columns == null ? y.length : columns.length;
        for (int k = 0; k < count; k++) {
            int j = columns == null ? k : columns[k];
            double p = sigmoid(a[j] * theta + d[j]);
            gradient += a[j] * (p - y[k]);
            curvature += a[j] * a[j] * p * (1 - p);
        }
        return theta - clamp(gradient / curvature);
    }

    /** One damped Newton step on item j's (a_j, d_j). */
    private static void itemStep(int j, double[][] y, double[] theta, double[] a, double[] d) {
        double ga = (a[j] - 1) / (DISCRIMINATION_SD * DISCRIMINATION_SD);
        double gd = d[j] / (INTERCEPT_SD * INTERCEPT_SD);
        double haa = 1 / (DISCRIMINATION_SD * DISCRIMINATION_SD);
        double hdd = 1 / (INTERCEPT_SD * INTERCEPT_SD);
        double had = 0;
        for (int i = 0; i < theta.length; i++) {
            double p = sigmoid(a[j] * theta[i] + d[j]);
            double r = p - y[i][j];
            double w = p * (1 - p);
            ga += r * theta[i];
            gd += r;
            haa += w * theta[i] * theta[i];
            had += w * theta[i];
            hdd += w;
        }
        double det = haa * hdd - had * had;
        double stepA = (hdd * ga - had * gd) / det;
        double stepD = (haa * gd - had * ga) / det;
        double scale = Math.max(1, Math.max(Math.abs(stepA), Math.abs(stepD)) / MAX_STEP);
        a[j] -= stepA / scale;
        d[j] -= stepD / scale;
    }

    /** Abilities to mean 0, standard deviation 1; items follow so that a_j theta_i + d_j is unchanged. */
    private static void standardise(double[] theta, double[] a, double[] d) {
        double mean = mean(theta);
        double var = 0;
        for (double t : theta) {
            var += (t - mean) * (t - mean);
        }
        double sd = Math.sqrt(var / theta.length);
        if (!(sd > 1e-12)) {
            sd = 1;
        }
        for (int i = 0; i < theta.length; i++) {
            theta[i] = (theta[i] - mean) / sd;
        }
        for (int j = 0; j < a.length; j++) {
            d[j] += a[j] * mean;
            a[j] *= sd;
        }
    }

    private static double maxChange(double[] before, double[] after) {
        double max = 0;
        for (int k = 0; k < before.length; k++) {
            max = Math.max(max, Math.abs(after[k] - before[k]));
        }
        return max;
    }

    private static double clamp(double step) {
        return Math.max(-MAX_STEP, Math.min(MAX_STEP, step));
    }

    private static double mean(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v;
        }
        return s / x.length;
    }

    private static double logit(double p) {
        double q = Math.min(0.99, Math.max(0.01, p));
        return Math.log(q / (1 - q));
    }

    static double sigmoid(double z) {
        return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
    }
}
