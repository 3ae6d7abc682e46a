package dev.evomerge.evolve.pareto;

import java.util.SplittableRandom;

/**
 * Simulated binary crossover (SBX, Deb and Agrawal 1995) on genes in [0, 1], in the bounded form of Deb's NSGA-II
 * code, whose children never leave the bounds.
 *
 * <p>A pair of parents is crossed with probability {@code probability}; otherwise the children are copies. In a crossed
 * pair each gene is crossed with probability {@code geneProbability} (when the parents' genes differ). For parent genes
 * y1 &lt; y2, d = y2 - y1, one uniform u and distribution index eta:
 * <pre>
 *   beta_L = 1 + 2 y1 / d              beta_U = 1 + 2 (1 - y2) / d
 *   alpha  = 2 - beta^-(eta+1)         (for beta = beta_L, then beta_U)
 *   betaq  = (u alpha)^(1/(eta+1))               if u &lt;= 1/alpha
 *            (1 / (2 - u alpha))^(1/(eta+1))     otherwise
 *   c1 = (y1 + y2 - betaq_L d) / 2     c2 = (y1 + y2 + betaq_U d) / 2
 * </pre>
 * Far from the bounds (beta large, alpha ~ 2) the spread factor betaq = (c2 - c1) / d has SBX's density
 * (eta+1)/2 betaq^eta below 1 and (eta+1)/2 betaq^-(eta+2) above, and the children's mean is the parents' mean; near a
 * bound the density is cut at the bound and rescaled. The children's genes are then swapped with probability 1/2, so
 * that each child takes from both parents.
 *
 * @param probability       chance that a pair is crossed at all (0.9 by default)
 * @param geneProbability   chance that a gene of a crossed pair is crossed (0.5 by default)
 * @param distributionIndex eta: larger keeps children closer to their parents (15 by default)
 */
public record SimulatedBinaryCrossover(double probability, double geneProbability, double distributionIndex) {

    /** Genes closer than this are treated as equal and copied. */
    private static final double SAME_GENE = 1e-14;

    public SimulatedBinaryCrossover {
        if (!(probability >= 0 && probability <= 1) || !(geneProbability >= 0 && geneProbability <= 1)) {
            throw new IllegalArgumentException("SBX probabilities must lie in [0, 1]: " + probability + ", " + geneProbability);
        }
        if (!(distributionIndex >= 0) || Double.isInfinite(distributionIndex)) {
            throw new IllegalArgumentException("SBX distribution index must be finite and >= 0: " + distributionIndex);
        }
    }

    /** Probability 0.9, gene probability 0.5, distribution index 15. */
    public static SimulatedBinaryCrossover defaults() {
        return new SimulatedBinaryCrossover(0.9, 0.5, 15);
    }

    /** Two children of {@code a} and {@code b} (neither is changed). */
    public double[][] cross(double[] a, double[] b, SplittableRandom rng) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("parents of different lengths: " + a.length + " and " + b.length);
        }
        double[] first = a.clone();
        double[] second = b.clone();
        if (rng.nextDouble() >= probability) {
            return new double[][] {first, second};
        }
        for (int i = 0; i < a.length; i++) {
            if (rng.nextDouble() >= geneProbability || Math.abs(a[i] - b[i]) <= SAME_GENE) {
                continue;
            }
            double y1 = Math.min(a[i], b[i]);
            double y2 = Math.max(a[i], b[i]);
            double d = y2 - y1;
            double u = rng.nextDouble();
            double c1 = Math.clamp(0.5 * (y1 + y2 - spread(u, 1 + 2 * y1 / d) * d), 0.0, 1.0);
            double c2 = Math.clamp(0.5 * (y1 + y2 + spread(u, 1 + 2 * (1 - y2) / d) * d), 0.0, 1.0);
            if (rng.nextBoolean()) {
                first[i] = c2;
                second[i] = c1;
            } else {
                first[i] = c1;
                second[i] = c2;
            }
        }
        return new double[][] {first, second};
    }

    /** betaq for one side, given that side's beta (its room to the bound relative to d). */
    private double spread(double u, double beta) {
        double exponent = 1 / (distributionIndex + 1);
        double alpha = 2 - Math.pow(beta, -(distributionIndex + 1));
        return u <= 1 / alpha
                ? Math.pow(u * alpha, exponent)
                : Math.pow(1 / (2 - u * alpha), exponent);
    }
}
