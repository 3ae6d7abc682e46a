package dev.evomerge.evolve.pareto;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class SimulatedBinaryCrossoverTest {

    @Test
    void childrenStayInTheUnitIntervalEvenFromParentsOnTheBounds() {
        SplittableRandom rng = new SplittableRandom(11);
        for (SimulatedBinaryCrossover sbx : new SimulatedBinaryCrossover[] {
                SimulatedBinaryCrossover.defaults(), new SimulatedBinaryCrossover(1, 1, 0.5)}) {
            for (int t = 0; t < 20_000; t++) {
                double[] a = {0, 1, rng.nextDouble(), rng.nextDouble(), 1e-9};
                double[] b = {1, 0.999, rng.nextDouble(), 0, 1};
                for (double[] child : sbx.cross(a, b, rng)) {
                    for (double g : child) {
                        assertThat(g).isBetween(0.0, 1.0);
                    }
                }
            }
        }
    }

    @Test
    void farFromTheBoundsTheSpreadFactorHasSbxsDistribution() {
        double eta = 15;
        SimulatedBinaryCrossover sbx = new SimulatedBinaryCrossover(1, 1, eta);
        SplittableRandom rng = new SplittableRandom(7);
        int samples = 200_000;
        double sum = 0;
        double sumSq = 0;
        int inside = 0;
        for (int t = 0; t < samples; t++) {
            double[][] c = sbx.cross(new double[] {0.4}, new double[] {0.6}, rng);
            // the children's mean is the parents' mean
            assertThat(c[0][0] + c[1][0]).isCloseTo(1.0, within(1e-12));
            double beta = Math.abs(c[1][0] - c[0][0]) / 0.2;
            sum += beta;
            sumSq += beta * beta;
            if (beta <= 1) {
                inside++;
            }
        }
        // density (eta+1)/2 beta^eta on [0,1] and (eta+1)/2 beta^-(eta+2) above: half the mass on each side,
        // E[beta] = (eta+1)/2 (1/(eta+2) + 1/eta), E[beta^2] = (eta+1)/2 (1/(eta+3) + 1/(eta-1))
        double mean = (eta + 1) / 2 * (1 / (eta + 2) + 1 / eta);
        double second = (eta + 1) / 2 * (1 / (eta + 3) + 1 / (eta - 1));
        double variance = second - mean * mean;
        double sampleMean = sum / samples;
        assertThat(sampleMean).isCloseTo(mean, within(0.002));   // standard error ~0.0002
        assertThat(sumSq / samples - sampleMean * sampleMean).isCloseTo(variance, within(0.05 * variance));
        assertThat((double) inside / samples).isCloseTo(0.5, within(0.01));
    }

    @Test
    void defaultsCrossNineTenthsOfPairsAndHalfTheirGenes() {
        SimulatedBinaryCrossover sbx = SimulatedBinaryCrossover.defaults();
        assertThat(sbx).isEqualTo(new SimulatedBinaryCrossover(0.9, 0.5, 15));
        SplittableRandom rng = new SplittableRandom(3);
        int pairs = 40_000;
        int genes = 10;
        int changed = 0;
        int untouchedPairs = 0;
        double[] a = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95};
        double[] b = {0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1, 0.05, 0.5};
        for (int t = 0; t < pairs; t++) {
            double[][] c = sbx.cross(a, b, rng);
            int here = 0;
            for (int i = 0; i < genes; i++) {
                boolean copied = (c[0][i] == a[i] && c[1][i] == b[i]) || (c[0][i] == b[i] && c[1][i] == a[i]);
                if (!copied) {
                    here++;
                }
            }
            changed += here;
            if (here == 0) {
                untouchedPairs++;
            }
        }
        assertThat((double) changed / (pairs * genes)).isCloseTo(0.9 * 0.5, within(0.01));
        assertThat((double) untouchedPairs / pairs).isCloseTo(0.1 + 0.9 * Math.pow(0.5, genes), within(0.01));
    }

    @Test
    void equalParentsGiveCopiesAndParentsAreNotChanged() {
        double[] a = {0.3, 0.7};
        double[][] c = new SimulatedBinaryCrossover(1, 1, 15).cross(a, a.clone(), new SplittableRandom(1));
        assertThat(c[0]).containsExactly(0.3, 0.7);
        assertThat(c[1]).containsExactly(0.3, 0.7);
        assertThat(a).containsExactly(0.3, 0.7);
    }

    @Test
    void refusesProbabilitiesOutsideTheUnitInterval() {
        assertThatThrownBy(() -> new SimulatedBinaryCrossover(1.5, 0.5, 15)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SimulatedBinaryCrossover(0.9, 0.5, -1)).isInstanceOf(IllegalArgumentException.class);
    }
}
