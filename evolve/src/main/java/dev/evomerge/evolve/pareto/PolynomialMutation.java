package dev.evomerge.evolve.pareto;

import java.util.SplittableRandom;

/**
 * Polynomial mutation (Deb and Goyal 1996) on genes in [0, 1], in the bounded form of Deb's NSGA-II code, whose result
 * never leaves the bounds.
 *
 * <p>Each gene y is mutated with probability {@code probability}. With d1 = y, d2 = 1 - y, one uniform u and
 * distribution index eta:
 * <pre>
 *   u &lt;  1/2:  dq = (2u + (1 - 2u)(1 - d1)^(eta+1))^(1/(eta+1)) - 1
 *   u &gt;= 1/2:  dq = 1 - (2(1 - u) + 2(u - 1/2)(1 - d2)^(eta+1))^(1/(eta+1))
 *   y' = y + dq
 * </pre>
 * Far from the bounds the step dq has the polynomial density (eta+1)/2 (1 - |dq|)^eta on [-1, 1]: mean 0,
 * E|dq| = 1/(eta+2), E[dq^2] = 2/((eta+2)(eta+3)). Near a bound the steps towards it are shortened so that y' stays
 * inside [0, 1] (at the bound itself a step towards it is 0).
 *
 * @param probability       chance that a gene is mutated (1/n for n genes by default)
 * @param distributionIndex eta: larger gives smaller steps (20 by default)
 */
public record PolynomialMutation(double probability, double distributionIndex) {

    public PolynomialMutation {
        if (!(probability >= 0 && probability <= 1)) {
            throw new IllegalArgumentException("mutation probability must lie in [0, 1]: " + probability);
        }
        if (!(distributionIndex >= 0) || Double.isInfinite(distributionIndex)) {
            throw new IllegalArgumentException("mutation distribution index must be finite and >= 0: " + distributionIndex);
        }
    }

    /** Probability 1/n, distribution index 20. */
    public static PolynomialMutation defaults(int dimension) {
        if (dimension < 1) {
            throw new IllegalArgumentException("dimension must be positive: " + dimension);
        }
        return new PolynomialMutation(1.0 / dimension, 20);
    }

    /** A mutated copy of {@code genes}. */
    public double[] mutate(double[] genes, SplittableRandom rng) {
        double[] out = genes.clone();
        double exponent = 1 / (distributionIndex + 1);
        for (int i = 0; i < out.length; i++) {
            if (rng.nextDouble() >= probability) {
                continue;
            }
            double y = out[i];
            double u = rng.nextDouble();
            double step;
            if (u < 0.5) {
                double val = 2 * u + (1 - 2 * u) * Math.pow(1 - y, distributionIndex + 1);
                step = Math.pow(val, exponent) - 1;
            } else {
                double val = 2 * (1 - u) + 2 * (u - 0.5) * Math.pow(y, distributionIndex + 1);
                step = 1 - Math.pow(val, exponent);
            }
            out[i] = Math.clamp(y + step, 0.0, 1.0);
        }
        return out;
    }
}
