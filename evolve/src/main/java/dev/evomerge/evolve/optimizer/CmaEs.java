package dev.evomerge.evolve.optimizer;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.apache.commons.math3.linear.RealMatrix;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * CMA-ES as an ask/tell maximiser on [0, 1]^n, with the default strategy parameters of Hansen's tutorial
 * (arXiv 1604.00772, Table 1; positive recombination weights, no active update). Bounds are handled by repair:
 * sampled points are clipped into [0, 1] and the clipped points, which are what gets evaluated, drive the update.
 */
public final class CmaEs implements Optimizer {

    /** mergekit-evolve's and Sakana's initial step size on [0, 1] ({@code --sigma0}). */
    public static final double DEFAULT_SIGMA0 = 1.0 / 6;

    /** Everything a run needs to resume; eigenvectors are recomputed from the covariance. */
    public record State(int dimension, int populationSize, long seed, int generation,
                        double[] mean, double sigma, double[][] covariance, double[] pathC, double[] pathSigma) {
    }

    private final int n;
    private final int lambda;
    private final long seed;
    private final int mu;
    private final double[] weights;
    private final double muEff;
    private final double cSigma;
    private final double dSigma;
    private final double cC;
    private final double c1;
    private final double cMu;
    private final double chiN;

    private int generation;
    private double[] mean;
    private double sigma;
    private double[][] cov;
    private double[] pc;
    private double[] ps;
    private double[][] basis;   // eigenvectors of C as columns
    private double[] axes;      // square roots of C's eigenvalues

    /** A fresh run from x0 with step size sigma0 (mergekit-evolve and Sakana use {@link #DEFAULT_SIGMA0}). */
    public static CmaEs start(double[] x0, double sigma0, int populationSize, long seed) {
        int n = x0.length;
        double[][] identity = new double[n][n];
        for (int i = 0; i < n; i++) {
            identity[i][i] = 1;
        }
        return new CmaEs(new State(n, populationSize, seed, 0, x0.clone(), sigma0, identity, new double[n], new double[n]));
    }

    public CmaEs(State s) {
        if (s.dimension() < 1 || s.populationSize() < 2) {
            throw new IllegalArgumentException("CMA-ES needs dimension >= 1 and population >= 2");
        }
        n = s.dimension();
        lambda = s.populationSize();
        seed = s.seed();
        generation = s.generation();
        mean = s.mean().clone();
        sigma = s.sigma();
        cov = deepCopy(s.covariance());
        pc = s.pathC().clone();
        ps = s.pathSigma().clone();

        mu = lambda / 2;
        double[] raw = new double[mu];
        double sum = 0;
        for (int i = 0; i < mu; i++) {
            raw[i] = Math.log((lambda + 1) / 2.0) - Math.log(i + 1);
            sum += raw[i];
        }
        weights = new double[mu];
        double sumSq = 0;
        for (int i = 0; i < mu; i++) {
            weights[i] = raw[i] / sum;
            sumSq += weights[i] * weights[i];
        }
        muEff = 1 / sumSq;
        cSigma = (muEff + 2) / (n + muEff + 5);
        dSigma = 1 + 2 * Math.max(0, Math.sqrt((muEff - 1) / (n + 1)) - 1) + cSigma;
        cC = (4 + muEff / n) / (n + 4 + 2 * muEff / n);
        c1 = 2 / ((n + 1.3) * (n + 1.3) + muEff);
        cMu = Math.min(1 - c1, 2 * (muEff - 2 + 1 / muEff) / ((n + 2) * (n + 2) + muEff));
        chiN = Math.sqrt(n) * (1 - 1.0 / (4 * n) + 1.0 / (21.0 * n * n));
        decompose();
    }

    @Override
    public String name() {
        return "cmaes";
    }

    @Override
    public int dimension() {
        return n;
    }

    public double sigma() {
        return sigma;
    }

    public double[] mean() {
        return mean.clone();
    }

    @Override
    public List<double[]> ask() {
        SplittableRandom rng = RandomStreams.forGeneration(seed, "cmaes", generation);
        List<double[]> out = new ArrayList<>(lambda);
        for (int k = 0; k < lambda; k++) {
            double[] z = RandomStreams.draws(n, rng::nextGaussian);
            double[] x = new double[n];
            for (int i = 0; i < n; i++) {
                double y = 0;
                for (int j = 0; j < n; j++) {
                    y += basis[i][j] * axes[j] * z[j];
                }
                x[i] = Math.clamp(mean[i] + sigma * y, 0.0, 1.0);
            }
            out.add(x);
        }
        return out;
    }

    @Override
    public void tell(List<double[]> candidates, double[] fitness) {
        if (candidates.size() != fitness.length || candidates.size() < mu) {
            throw new IllegalArgumentException("CMA-ES needs at least " + mu + " candidates with one fitness each, got "
                    + candidates.size() + " and " + fitness.length);
        }
        // Best first; NaN counts as the worst, like a failed candidate.
        Integer[] order = IntStream.range(0, fitness.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> Double.isNaN(fitness[i]) ? Double.NEGATIVE_INFINITY : fitness[i]).reversed());

        double[][] y = new double[mu][n];
        double[] yw = new double[n];
        for (int r = 0; r < mu; r++) {
            double[] x = candidates.get(order[r]);
            for (int i = 0; i < n; i++) {
                y[r][i] = (x[i] - mean[i]) / sigma;
                yw[i] += weights[r] * y[r][i];
            }
        }
        for (int i = 0; i < n; i++) {
            mean[i] += sigma * yw[i];
        }

        // C^{-1/2} y_w = B D^{-1} B^T y_w
        double[] bty = new double[n];
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int i = 0; i < n; i++) {
                s += basis[i][j] * yw[i];
            }
            bty[j] = s / axes[j];
        }
        double psScale = Math.sqrt(cSigma * (2 - cSigma) * muEff);
        double psNorm2 = 0;
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < n; j++) {
                s += basis[i][j] * bty[j];
            }
            ps[i] = (1 - cSigma) * ps[i] + psScale * s;
            psNorm2 += ps[i] * ps[i];
        }
        double psNorm = Math.sqrt(psNorm2);
        double hSigmaBound = (1.4 + 2.0 / (n + 1)) * chiN;
        boolean hSigma = psNorm / Math.sqrt(1 - Math.pow(1 - cSigma, 2.0 * (generation + 1))) < hSigmaBound;
        double pcScale = hSigma ? Math.sqrt(cC * (2 - cC) * muEff) : 0;
        for (int i = 0; i < n; i++) {
            pc[i] = (1 - cC) * pc[i] + pcScale * yw[i];
        }
        double deltaH = hSigma ? 0 : cC * (2 - cC);
        double keep = 1 + c1 * deltaH - c1 - cMu;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double rankMu = 0;
                for (int r = 0; r < mu; r++) {
                    rankMu += weights[r] * y[r][i] * y[r][j];
                }
                double v = keep * cov[i][j] + c1 * pc[i] * pc[j] + cMu * rankMu;
                cov[i][j] = v;
                cov[j][i] = v;
            }
        }
        sigma *= Math.exp((cSigma / dSigma) * (psNorm / chiN - 1));
        generation++;
        decompose();
    }

    @Override
    public State state() {
        return new State(n, lambda, seed, generation, mean.clone(), sigma, deepCopy(cov), pc.clone(), ps.clone());
    }

    private void decompose() {
        RealMatrix c = new Array2DRowRealMatrix(cov, false);
        EigenDecomposition eig = new EigenDecomposition(c);
        basis = eig.getV().getData();
        double[] ev = eig.getRealEigenvalues();
        axes = new double[n];
        for (int i = 0; i < n; i++) {
            // Guard against round-off making a tiny eigenvalue negative.
            axes[i] = Math.sqrt(Math.max(ev[i], 1e-20));
        }
    }

    private static double[][] deepCopy(double[][] m) {
        double[][] c = new double[m.length][];
        for (int i = 0; i < m.length; i++) {
            c[i] = m[i].clone();
        }
        return c;
    }
}
