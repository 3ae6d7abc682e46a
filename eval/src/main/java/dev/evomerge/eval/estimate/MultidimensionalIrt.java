package dev.evomerge.eval.estimate;

import dev.evomerge.core.EvomergeException;

import java.util.Arrays;
import java.util.List;

/**
 * A multidimensional two-parameter logistic item response model (MIRT) fitted to a calibration matrix.
 *
 * <p>Model i answers item j correctly with probability P_ij = sigmoid(a_j . theta_i + d_j): theta_i is the model's
 * ability vector of D dimensions, a_j the item's discrimination vector and d_j its intercept. With D = 1 it is the
 * 2PL of {@link TwoParameterIrt}. A merge candidate moves in as many directions as its genome has genes, and two
 * candidates of equal overall score can be right on different items; one ability cannot express that, D abilities
 * can. tinyBenchmarks (Polo et al. 2024) fits the same model with D chosen on held-out models;
 * {@link MultidimensionalIrtEstimator} does that.
 *
 * <p>Fit: maximum a posteriori on continuous results y_ij in [0, 1] (Bernoulli log-likelihoods with fractional targets,
 * as {@link TwoParameterIrt}), with Gaussian priors theta_i ~ N(0, I), each a_jk ~ N(0, s^2) for the discrimination
 * prior sd s given ({@value #DEFAULT_DISCRIMINATION_SD} by default) and d_j ~ N(0, {@value #INTERCEPT_SD}^2). The
 * priors keep every parameter finite (an item all models get right) and shrink the items towards flat curves where
 * few calibration models inform them. The start is deterministic: the abilities are the calibration matrix's first D
 * principal components (of the model-by-item matrix centred per item), each scaled to standard deviation 1, and every
 * item starts flat at its mean's logit. Then rounds alternate one damped Newton step per item (a (D+1)-variable
 * concave problem) and one per ability (D variables), until no parameter moves by more than {@value #TOLERANCE} or
 * after {@value #MAX_ITERATIONS} rounds. The model is identified only up to a rotation of the ability space, which
 * changes no probability; the prior fixes the scale.
 */
public final class MultidimensionalIrt {

    /** Prior sd of each discrimination component; measured in docs/benchmarks.md ("Estimated fitness"). */
    public static final double DEFAULT_DISCRIMINATION_SD = 2;
    static final double INTERCEPT_SD = 5;
    static final double TOLERANCE = 1e-3;
    static final int MAX_ITERATIONS = 200;
    /** Largest Newton step (Euclidean norm) on one item's or one model's parameters. */
    private static final double MAX_STEP = 2;

    private final double[][] discrimination;
    private final double[] intercept;
    private final double[][] ability;

    private MultidimensionalIrt(double[][] discrimination, double[] intercept, double[][] ability) {
        this.discrimination = discrimination;
        this.intercept = intercept;
        this.ability = ability;
    }

    /**
     * Fits items and abilities with D = {@code dimensions} and the default discrimination prior.
     *
     * @throws EvomergeException (usage) when the matrix has fewer than 2 models
     */
    public static MultidimensionalIrt fit(CalibrationMatrix calibration, int dimensions) {
        return fit(calibration, dimensions, DEFAULT_DISCRIMINATION_SD);
    }

    /**
     * Fits items and abilities with D = {@code dimensions} and discrimination prior sd {@code discriminationSd}.
     *
     * @throws EvomergeException (usage) when the matrix has fewer than 2 models
     */
    public static MultidimensionalIrt fit(CalibrationMatrix calibration, int dimensions, double discriminationSd) {
        int m = calibration.modelCount();
        int n = calibration.itemCount();
        if (m < 2) {
            throw EvomergeException.usage("task " + calibration.task() + " has calibration results of "
                    + m + " model; the irt estimator needs at least 2.");
        }
        if (dimensions < 1) {
            throw new IllegalArgumentException("an ability needs at least 1 dimension, got " + dimensions);
        }
        if (!(discriminationSd > 0)) {
            throw new IllegalArgumentException("the discrimination prior sd must be positive, got " + discriminationSd);
        }
        double[][] y = new double[m][];
        for (int i = 0; i < m; i++) {
            y[i] = calibration.row(i);
        }
        double[][] theta = principalComponents(y, dimensions);
        double[][] a = new double[n][dimensions];
        double[] d = new double[n];
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int i = 0; i < m; i++) {
                s += y[i][j];
            }
            d[j] = logit(s / m);
        }
        double aPrecision = 1 / (discriminationSd * discriminationSd);
        double[] column = new double[m];
        for (int round = 0; round < MAX_ITERATIONS; round++) {
            double change = 0;
            for (int j = 0; j < n; j++) {
                for (int i = 0; i < m; i++) {
                    column[i] = y[i][j];
                }
                change = Math.max(change, itemStep(j, column, theta, a, d, aPrecision));
            }
            for (int i = 0; i < m; i++) {
                change = Math.max(change, abilityStep(theta[i], y[i], a, d, null));
            }
            if (change < TOLERANCE) {
                break;
            }
        }
        return new MultidimensionalIrt(a, d, theta);
    }

    /**
     * A fitted model from stored parameters (a resumed run reuses its calibration instead of refitting).
     *
     * @param discrimination a_j per item, each of D values
     * @param intercept      d_j per item
     * @param abilities      the calibration models' abilities, each of D values
     */
    public static MultidimensionalIrt of(double[][] discrimination, double[] intercept, double[][] abilities) {
        if (discrimination.length != intercept.length || discrimination.length == 0) {
            throw new IllegalArgumentException("need one discrimination vector and one intercept per item, got "
                    + discrimination.length + " and " + intercept.length);
        }
        int dims = discrimination[0].length;
        for (double[] row : discrimination) {
            if (row.length != dims) {
                throw new IllegalArgumentException("every discrimination vector needs " + dims + " values");
            }
        }
        for (double[] row : abilities) {
            if (row.length != dims) {
                throw new IllegalArgumentException("every ability needs " + dims + " values");
            }
        }
        return new MultidimensionalIrt(deepCopy(discrimination), intercept.clone(), deepCopy(abilities));
    }

    /** D, the number of ability dimensions. */
    public int dimensions() {
        return discrimination[0].length;
    }

    public int itemCount() {
        return intercept.length;
    }

    public int modelCount() {
        return ability.length;
    }

    /** Item j's discrimination vector a_j (a copy). */
    public double[] discrimination(int item) {
        return discrimination[item].clone();
    }

    /** Item j's intercept d_j, the logit at ability 0. */
    public double intercept(int item) {
        return intercept[item];
    }

    /** Calibration model i's fitted ability vector (a copy). */
    public double[] ability(int model) {
        return ability[model].clone();
    }

    /** P(correct) of item j for ability vector theta. */
    public double probability(int item, double[] theta) {
        return TwoParameterIrt.sigmoid(dot(discrimination[item], theta) + intercept[item]);
    }

    /** The mean of all items' curves at theta: the predicted full-task score. */
    public double predictedMean(double[] theta) {
        double s = 0;
        for (int j = 0; j < intercept.length; j++) {
            s += probability(j, theta);
        }
        return s / intercept.length;
    }

    /**
     * A new model's ability vector from its results on some items, items fixed: the maximum of the same likelihood
     * plus the N(0, I) prior, by Newton's method (concave objective).
     *
     * @param items   positions in the task's item list
     * @param results the model's results on them, in [0, 1]
     */
    public double[] fitAbility(List<Integer> items, double[] results) {
        int[] columns = items.stream().mapToInt(Integer::intValue).toArray();
        double[] theta = new double[dimensions()];
        for (int iteration = 0; iteration < 100; iteration++) {
            if (abilityStep(theta, results, discrimination, intercept, columns) < 1e-10) {
                break;
            }
        }
        return theta;
    }

    /**
     * One damped Newton step on an ability vector, in place; returns the step's largest component. With
     * {@code columns} null, y holds all items; otherwise y[k] is the result on item columns[k].
     */
    private static double abilityStep(double[] theta, double[] y, double[][] a, double[] d, int[] columns) {
        int dims = theta.length;
        double[] gradient = theta.clone();
        double[][] hessian = new double[dims][dims];
        for (int p = 0; p < dims; p++) {
            hessian[p][p] = 1;
        }
        int count = columns == null ? y.length : columns.length;
        for (int k = 0; k < count; k++) {
            int j = columns == null ? k : columns[k];
            double[] aj = a[j];
            double p = TwoParameterIrt.sigmoid(dot(aj, theta) + d[j]);
            double r = p - y[k];
            double w = p * (1 - p);
            for (int u = 0; u < dims; u++) {
                gradient[u] += aj[u] * r;
                for (int v = 0; v <= u; v++) {
                    hessian[u][v] += w * aj[u] * aj[v];
                }
            }
        }
        double[] step = solveSymmetric(hessian, gradient);
        return applyStep(theta, step);
    }

    /** One damped Newton step on item j's (a_j, d_j), in place; returns the step's largest component. */
    private static double itemStep(int j, double[] y, double[][] theta, double[][] a, double[] d, double aPrecision) {
        int dims = a[j].length;
        int size = dims + 1;
        double[] params = new double[size];
        System.arraycopy(a[j], 0, params, 0, dims);
        params[dims] = d[j];
        double[] gradient = new double[size];
        double[][] hessian = new double[size][size];
        for (int u = 0; u < dims; u++) {
            gradient[u] = params[u] * aPrecision;
            hessian[u][u] = aPrecision;
        }
        double dPrecision = 1 / (INTERCEPT_SD * INTERCEPT_SD);
        gradient[dims] = params[dims] * dPrecision;
        hessian[dims][dims] = dPrecision;
        double[] x = new double[size];
        x[dims] = 1;
        for (int i = 0; i < theta.length; i++) {
            System.arraycopy(theta[i], 0, x, 0, dims);
            double p = TwoParameterIrt.sigmoid(dot(a[j], theta[i]) + d[j]);
            double r = p - y[i];
            double w = p * (1 - p);
            for (int u = 0; u < size; u++) {
                gradient[u] += r * x[u];
                for (int v = 0; v <= u; v++) {
                    hessian[u][v] += w * x[u] * x[v];
                }
            }
        }
        double[] step = solveSymmetric(hessian, gradient);
        double change = applyStep(params, step);
        System.arraycopy(params, 0, a[j], 0, dims);
        d[j] = params[dims];
        return change;
    }

    /** x -= step, the step shortened to norm {@link #MAX_STEP} at most; returns the largest component moved. */
    private static double applyStep(double[] x, double[] step) {
        double norm = Math.sqrt(dot(step, step));
        double scale = norm > MAX_STEP ? MAX_STEP / norm : 1;
        double largest = 0;
        for (int u = 0; u < x.length; u++) {
            x[u] -= scale * step[u];
            largest = Math.max(largest, Math.abs(scale * step[u]));
        }
        return largest;
    }

    /**
     * Solves H s = g for a symmetric positive definite H given by its lower triangle (Cholesky); H is overwritten.
     * Every H here is a prior's precision plus a sum of w x x^T with w >= 0, so it is positive definite.
     */
    static double[] solveSymmetric(double[][] h, double[] g) {
        int n = g.length;
        for (int u = 0; u < n; u++) {
            for (int v = 0; v <= u; v++) {
                double s = h[u][v];
                for (int k = 0; k < v; k++) {
                    s -= h[u][k] * h[v][k];
                }
                h[u][v] = u == v ? Math.sqrt(s) : s / h[v][v];
            }
        }
        double[] z = new double[n];
        for (int u = 0; u < n; u++) {
            double s = g[u];
            for (int k = 0; k < u; k++) {
                s -= h[u][k] * z[k];
            }
            z[u] = s / h[u][u];
        }
        double[] x = new double[n];
        for (int u = n - 1; u >= 0; u--) {
            double s = z[u];
            for (int k = u + 1; k < n; k++) {
                s -= h[k][u] * x[k];
            }
            x[u] = s / h[u][u];
        }
        return x;
    }

    /**
     * The first {@code dims} principal component scores of the models (rows of y centred per column), each scaled to
     * standard deviation 1; a component the data does not have (fewer models than dimensions, or all rows equal)
     * stays 0. Eigenvectors of the models' Gram matrix by cyclic Jacobi rotations, which are deterministic.
     */
    static double[][] principalComponents(double[][] y, int dims) {
        int m = y.length;
        int n = y[0].length;
        double[] columnMean = new double[n];
        for (double[] row : y) {
            for (int j = 0; j < n; j++) {
                columnMean[j] += row[j] / m;
            }
        }
        double[][] gram = new double[m][m];
        for (int i = 0; i < m; i++) {
            for (int k = 0; k <= i; k++) {
                double s = 0;
                for (int j = 0; j < n; j++) {
                    s += (y[i][j] - columnMean[j]) * (y[k][j] - columnMean[j]);
                }
                gram[i][k] = s;
                gram[k][i] = s;
            }
        }
        double[][] vectors = jacobiEigenvectors(gram);
        double[] values = new double[m];
        for (int i = 0; i < m; i++) {
            values[i] = gram[i][i];
        }
        Integer[] order = new Integer[m];
        for (int i = 0; i < m; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (p, q) -> p.equals(q) ? 0 : values[q] != values[p] ? Double.compare(values[q], values[p])
                : Integer.compare(p, q));
        double[][] scores = new double[m][dims];
        for (int c = 0; c < Math.min(dims, m); c++) {
            int e = order[c];
            if (!(values[e] > 1e-9)) {
                break;
            }
            double sumSquares = 0;
            double mean = 0;
            for (int i = 0; i < m; i++) {
                mean += vectors[i][e] / m;
            }
            for (int i = 0; i < m; i++) {
                sumSquares += (vectors[i][e] - mean) * (vectors[i][e] - mean);
            }
            double sd = Math.sqrt(sumSquares / m);
            for (int i = 0; i < m; i++) {
                scores[i][c] = sd > 0 ? (vectors[i][e] - mean) / sd : 0;
            }
        }
        return scores;
    }

    /**
     * Diagonalises the symmetric matrix {@code s} in place by cyclic Jacobi rotations (its diagonal ends as the
     * eigenvalues) and returns the eigenvectors as columns.
     */
    private static double[][] jacobiEigenvectors(double[][] s) {
        int m = s.length;
        double[][] v = new double[m][m];
        for (int i = 0; i < m; i++) {
            v[i][i] = 1;
        }
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0;
            double total = 0;
            for (int p = 0; p < m; p++) {
                for (int q = 0; q < m; q++) {
                    total += s[p][q] * s[p][q];
                    if (p != q) {
                        off += s[p][q] * s[p][q];
                    }
                }
            }
            if (off <= 1e-24 * Math.max(total, 1e-300)) {
                break;
            }
            for (int p = 0; p < m - 1; p++) {
                for (int q = p + 1; q < m; q++) {
                    if (s[p][q] == 0) {
                        continue;
                    }
                    double tau = (s[q][q] - s[p][p]) / (2 * s[p][q]);
                    double t = Math.signum(tau == 0 ? 1 : tau) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
                    double c = 1 / Math.sqrt(1 + t * t);
                    double sn = t * c;
                    for (int k = 0; k < m; k++) {
                        double skp = s[k][p];
                        double skq = s[k][q];
                        s[k][p] = c * skp - sn * skq;
                        s[k][q] = sn * skp + c * skq;
                    }
                    for (int k = 0; k < m; k++) {
                        double spk = s[p][k];
                        double sqk = s[q][k];
                        s[p][k] = c * spk - sn * sqk;
                        s[q][k] = sn * spk + c * sqk;
                    }
                    for (int k = 0; k < m; k++) {
                        double vkp = v[k][p];
                        double vkq = v[k][q];
                        v[k][p] = c * vkp - sn * vkq;
                        v[k][q] = sn * vkp + c * vkq;
                    }
                }
            }
        }
        return v;
    }

    private static double dot(double[] x, double[] y) {
        double s = 0;
        for (int u = 0; u < x.length; u++) {
            s += x[u] * y[u];
        }
        return s;
    }

    private static double[][] deepCopy(double[][] x) {
        double[][] out = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i].clone();
        }
        return out;
    }

    private static double logit(double p) {
        double q = Math.min(0.99, Math.max(0.01, p));
        return Math.log(q / (1 - q));
    }
}
