package dev.evomerge.evolve.pareto;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class HypervolumeTest {

    @Test
    void twoObjectivesStaircase() {
        double[][] points = {{1, 3}, {2, 2}, {3, 1}};
        // strips from the right: 3*1 + 2*(2-1) + 1*(3-2)
        assertThat(Hypervolume.of(points, new double[] {0, 0})).isCloseTo(6, within(1e-12));
        // (3-.5)(1-.5) + (2-.5)(2-1) + (1-.5)(3-2)
        assertThat(Hypervolume.of(points, new double[] {0.5, 0.5})).isCloseTo(3.25, within(1e-12));
    }

    @Test
    void fromTheNadirTheEndsOfTheFrontAddNothing() {
        // Accuracies of a two-task front whose ends are (1, 0.5) and (0.25, 1): from the nadir (0.25, 0.5) the ends lie
        // on the reference's edges and count for nothing; the middle points' strips from the right:
        // (0.875-0.25)(0.625-0.5) + (0.75-0.25)(0.75-0.625) + (0.5-0.25)(0.875-0.75)
        double[][] front = {{1, 0.5}, {0.875, 0.625}, {0.75, 0.75}, {0.5, 0.875}, {0.25, 1}};
        assertThat(Hypervolume.of(front, new double[] {0.25, 0.5})).isCloseTo(0.171875, within(1e-12));
        // from (0, 0) the same front is worth 1*0.5 + 0.875*0.125 + 0.75*0.125 + 0.5*0.125 + 0.25*0.125
        assertThat(Hypervolume.of(front, new double[] {0, 0})).isCloseTo(0.796875, within(1e-12));
        // a point below the nadir in one task adds nothing, however good on the other
        assertThat(Hypervolume.of(new double[][] {{0.95, 0.45}, {0.75, 0.75}}, new double[] {0.25, 0.5}))
                .isCloseTo(0.125, within(1e-12));
    }

    @Test
    void dominatedDuplicateFailedAndOutsidePointsAddNothing() {
        double[][] points = {{1, 3}, {2, 2}, {3, 1}, {2, 2}, {1, 1}, {-1, 5}, {5, 0}, {Double.NEGATIVE_INFINITY, 9},
                {Double.NaN, 9}};
        assertThat(Hypervolume.of(points, new double[] {0, 0})).isCloseTo(6, within(1e-12));
        assertThat(Hypervolume.of(new double[0][], new double[] {0, 0})).isZero();
    }

    @Test
    void oneObjectiveIsTheBestMinusTheReference() {
        assertThat(Hypervolume.of(new double[][] {{2}, {5}, {3}}, new double[] {1})).isEqualTo(4);
    }

    @Test
    void threeObjectivesByInclusionExclusion() {
        double[] origin = {0, 0, 0};
        assertThat(Hypervolume.of(new double[][] {{1, 1, 1}}, origin)).isCloseTo(1, within(1e-12));
        // three boxes of 2, pairwise overlaps of 1, common part 1: 6 - 3 + 1
        assertThat(Hypervolume.of(new double[][] {{2, 1, 1}, {1, 2, 1}, {1, 1, 2}}, origin)).isCloseTo(4, within(1e-12));
        // three boxes of 6, pairwise overlaps of 2, common part 1: 18 - 6 + 1
        assertThat(Hypervolume.of(new double[][] {{3, 2, 1}, {1, 3, 2}, {2, 1, 3}}, origin)).isCloseTo(13, within(1e-12));
        // 4 + 3 - 1, plus a point below the reference in one objective
        assertThat(Hypervolume.of(new double[][] {{2, 2, 1}, {1, 1, 3}, {5, 5, -1}}, origin)).isCloseTo(6, within(1e-12));
        // the same staircase as in two objectives, 0.5 thick
        assertThat(Hypervolume.of(new double[][] {{1, 3, 1}, {2, 2, 1}, {3, 1, 1}}, new double[] {0, 0, 0.5}))
                .isCloseTo(3, within(1e-12));
    }

    @Test
    void fourObjectives() {
        double[] origin = {0, 0, 0, 0};
        assertThat(Hypervolume.of(new double[][] {{1, 2, 3, 4}}, origin)).isCloseTo(24, within(1e-12));
        assertThat(Hypervolume.of(new double[][] {{2, 1, 1, 1}, {1, 1, 1, 2}}, origin)).isCloseTo(3, within(1e-12));
    }

    @ParameterizedTest
    @CsvSource({"2,1", "3,2", "3,3", "4,4", "5,5"})
    void agreesWithInclusionExclusionOnRandomSets(int objectives, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[][] points = new double[9][objectives];
        for (double[] p : points) {
            for (int j = 0; j < objectives; j++) {
                p[j] = rng.nextInt(5) == 0 ? 0.5 : rng.nextDouble(); // some equal values
            }
        }
        double[] reference = new double[objectives];
        assertThat(Hypervolume.of(points, reference)).isCloseTo(inclusionExclusion(points, reference), within(1e-12));
    }

    @Test
    void denseZdt1FrontApproachesItsExactHypervolume() {
        // ZDT1's front f2 = 1 - sqrt(f1), minimised, against (1.1, 1.1): the integral of 0.1 + sqrt(f1) over [0, 1]
        // plus the strip 0.1 x 1.1 beyond f1 = 1; maximised as (-f1, -f2) against (-1.1, -1.1)
        double exact = 0.1 + 2.0 / 3 + 0.11;
        int n = 100_001;
        double[][] front = new double[n][];
        for (int i = 0; i < n; i++) {
            double f1 = (double) i / (n - 1);
            front[i] = new double[] {-f1, -(1 - Math.sqrt(f1))};
        }
        assertThat(Hypervolume.of(front, new double[] {-1.1, -1.1})).isCloseTo(exact, within(1e-4));
    }

    /** The union's volume as the alternating sum over every subset of the boxes' intersections. */
    private static double inclusionExclusion(double[][] points, double[] reference) {
        double total = 0;
        for (int mask = 1; mask < (1 << points.length); mask++) {
            double volume = 1;
            for (int j = 0; j < reference.length; j++) {
                double top = Double.POSITIVE_INFINITY;
                for (int k = 0; k < points.length; k++) {
                    if ((mask & (1 << k)) != 0) {
                        top = Math.min(top, points[k][j]);
                    }
                }
                volume *= Math.max(0, top - reference[j]);
            }
            total += Integer.bitCount(mask) % 2 == 1 ? volume : -volume;
        }
        return total;
    }
}
