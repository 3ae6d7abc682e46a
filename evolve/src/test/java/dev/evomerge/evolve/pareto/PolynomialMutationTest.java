package dev.evomerge.evolve.pareto;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class PolynomialMutationTest {

    @Test
    void genesStayInTheUnitInterval() {
        SplittableRandom rng = new SplittableRandom(5);
        for (PolynomialMutation pm : new PolynomialMutation[] {new PolynomialMutation(1, 20), new PolynomialMutation(1, 0)}) {
            for (int t = 0; t < 20_000; t++) {
                for (double g : pm.mutate(new double[] {0, 1, rng.nextDouble(), 1e-12, 1 - 1e-12}, rng)) {
                    assertThat(g).isBetween(0.0, 1.0);
                }
            }
        }
    }

    @Test
    void farFromTheBoundsTheStepHasThePolynomialDistribution() {
        double eta = 20;
        PolynomialMutation pm = new PolynomialMutation(1, eta);
        SplittableRandom rng = new SplittableRandom(9);
        int samples = 200_000;
        double sum = 0;
        double sumAbs = 0;
        double sumSq = 0;
        for (int t = 0; t < samples; t++) {
            double step = pm.mutate(new double[] {0.5}, rng)[0] - 0.5;
            sum += step;
            sumAbs += Math.abs(step);
            sumSq += step * step;
        }
        // density (eta+1)/2 (1-|d|)^eta: mean 0, E|d| = 1/(eta+2), E[d^2] = 2/((eta+2)(eta+3)); standard errors ~1e-4
        assertThat(sum / samples).isCloseTo(0, within(0.001));
        assertThat(sumAbs / samples).isCloseTo(1 / (eta + 2), within(0.001));
        assertThat(sumSq / samples).isCloseTo(2 / ((eta + 2) * (eta + 3)), within(0.03 * 2 / ((eta + 2) * (eta + 3))));
    }

    @Test
    void onTheLowerBoundOnlyStepsUpwardHappen() {
        PolynomialMutation pm = new PolynomialMutation(1, 20);
        SplittableRandom rng = new SplittableRandom(2);
        int moved = 0;
        int samples = 20_000;
        for (int t = 0; t < samples; t++) {
            double g = pm.mutate(new double[] {0}, rng)[0];
            assertThat(g).isGreaterThanOrEqualTo(0);
            if (g > 0) {
                moved++;
            }
        }
        assertThat((double) moved / samples).isCloseTo(0.5, within(0.02));
    }

    @Test
    void defaultsMutateOneGeneInN() {
        PolynomialMutation pm = PolynomialMutation.defaults(8);
        assertThat(pm).isEqualTo(new PolynomialMutation(1.0 / 8, 20));
        SplittableRandom rng = new SplittableRandom(4);
        double[] x = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8};
        int changed = 0;
        int rounds = 20_000;
        for (int t = 0; t < rounds; t++) {
            double[] y = pm.mutate(x, rng);
            for (int i = 0; i < x.length; i++) {
                if (y[i] != x[i]) {
                    changed++;
                }
            }
        }
        assertThat((double) changed / (rounds * x.length)).isCloseTo(1.0 / 8, within(0.005));
        assertThat(x).containsExactly(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8);
    }

    @Test
    void refusesBadParameters() {
        assertThatThrownBy(() -> new PolynomialMutation(-0.1, 20)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PolynomialMutation.defaults(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
