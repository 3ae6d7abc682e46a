package dev.evomerge.evolve.pareto;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class ParetoFrontTest {

    private static final double INF = Double.POSITIVE_INFINITY;
    private static final double FAILED = Double.NEGATIVE_INFINITY;

    @Test
    void dominanceNeedsAtLeastAsGoodEverywhereAndBetterSomewhere() {
        assertThat(ParetoFront.dominates(new double[] {1, 2}, new double[] {1, 1})).isTrue();
        assertThat(ParetoFront.dominates(new double[] {1, 1}, new double[] {1, 2})).isFalse();
        assertThat(ParetoFront.dominates(new double[] {1, 1}, new double[] {1, 1})).isFalse();
        assertThat(ParetoFront.dominates(new double[] {2, 0}, new double[] {0, 2})).isFalse();
        assertThat(ParetoFront.dominates(new double[] {0, 2}, new double[] {2, 0})).isFalse();
    }

    @Test
    void aFailedVectorIsDominatedByEveryOtherAndDominatesNothing() {
        double[] bad = {-1e9, -1e9};
        double[] failed = {FAILED, 5};
        double[] nan = {Double.NaN, 7};
        assertThat(ParetoFront.isFailed(failed)).isTrue();
        assertThat(ParetoFront.isFailed(nan)).isTrue();
        assertThat(ParetoFront.isFailed(bad)).isFalse();
        assertThat(ParetoFront.dominates(bad, failed)).isTrue();
        assertThat(ParetoFront.dominates(bad, nan)).isTrue();
        assertThat(ParetoFront.dominates(failed, bad)).isFalse();
        assertThat(ParetoFront.dominates(failed, nan)).isFalse();
        assertThat(ParetoFront.dominates(nan, failed)).isFalse();
    }

    @Test
    void sortsSixPointsIntoThreeFronts() {
        double[][] f = {{1, 5}, {2, 4}, {3, 3}, {2, 2}, {1, 1}, {4, 1}};
        List<int[]> fronts = ParetoFront.nonDominatedSort(f);
        assertThat(fronts).containsExactly(new int[] {0, 1, 2, 5}, new int[] {3}, new int[] {4});
        assertThat(ParetoFront.ranks(fronts, f.length)).containsExactly(0, 0, 0, 1, 2, 0);
        assertThat(ParetoFront.nonDominated(f)).containsExactly(0, 1, 2, 5);
    }

    @Test
    void crowdingDistanceOfAFourPointFront() {
        double[][] f = {{1, 5}, {2, 4}, {3, 3}, {2, 2}, {1, 1}, {4, 1}};
        // objective 1: 1,2,3,4 over range 3 -> (3-1)/3 and (4-2)/3 for the inner two;
        // objective 2: 1,3,4,5 over range 4 -> (5-3)/4 for (2,4) and (4-1)/4 for (3,3)
        double[] d = ParetoFront.crowdingDistance(f, new int[] {0, 1, 2, 5});
        assertThat(d[0]).isEqualTo(INF);
        assertThat(d[1]).isCloseTo(2.0 / 3 + 1.0 / 2, within(1e-12));
        assertThat(d[2]).isCloseTo(2.0 / 3 + 3.0 / 4, within(1e-12));
        assertThat(d[3]).isEqualTo(INF);
    }

    @Test
    void duplicatesShareAFrontAndFailedVectorsComeLast() {
        double[][] f = {{1, 1}, {1, 1}, {0, 2}, {2, 0}, {0, 0}, {1, 0}, {FAILED, 3}, {Double.NaN, 5}};
        List<int[]> fronts = ParetoFront.nonDominatedSort(f);
        // (1,0) is dominated by (1,1) and (2,0); (0,0) also by (1,0); the failed ones by all of them
        assertThat(fronts).containsExactly(new int[] {0, 1, 2, 3}, new int[] {5}, new int[] {4}, new int[] {6, 7});

        // ties sort by index: objective 1 orders 2,0,1,3 and objective 2 orders 3,0,1,2, both over range 2
        double[] d = ParetoFront.crowdingDistance(f, fronts.getFirst());
        assertThat(d).containsExactly(new double[] {(1 - 0) / 2.0 + (1 - 0) / 2.0, (2 - 1) / 2.0 + (2 - 1) / 2.0, INF, INF},
                within(1e-12));
        assertThat(ParetoFront.crowdingDistance(f, fronts.getLast())).containsExactly(0, 0);
    }

    @Test
    void crowdingDistanceOfADuplicateAtTheBoundary() {
        // (0,3) twice: objective 1 orders 0,1,2,3 (range 3), objective 2 orders 3,2,0,1 (range 3)
        double[][] f = {{0, 3}, {0, 3}, {1, 1}, {3, 0}};
        double[] d = ParetoFront.crowdingDistance(f, new int[] {0, 1, 2, 3});
        assertThat(d[0]).isEqualTo(INF);
        assertThat(d[1]).isEqualTo(INF);
        assertThat(d[2]).isCloseTo((3 - 0) / 3.0 + (3 - 0) / 3.0, within(1e-12));
        assertThat(d[3]).isEqualTo(INF);
        // one duplicate is objective 1's lowest, the other objective 2's highest: both are boundaries
        double[] e = ParetoFront.crowdingDistance(f, new int[] {2, 1, 0, 3});
        assertThat(e).containsExactly(2, INF, INF, INF);
    }

    @Test
    void anObjectiveWithoutRangeAddsNothingInside() {
        double[][] f = {{0, 5}, {1, 5}, {3, 5}};
        assertThat(ParetoFront.crowdingDistance(f, new int[] {0, 1, 2}))
                .containsExactly(new double[] {INF, (3 - 0) / 3.0, INF}, within(1e-12));
        assertThat(ParetoFront.crowdingDistance(f, new int[] {0, 2})).containsExactly(INF, INF);
        assertThat(ParetoFront.crowdingDistance(f, new int[] {1})).containsExactly(INF);
    }

    @Test
    void threeObjectivesWithAChain() {
        double[][] f = {{3, 0, 0}, {0, 3, 0}, {0, 0, 3}, {1, 1, 1}, {0, 0, 1}, {0, 0, 0}};
        assertThat(ParetoFront.nonDominatedSort(f))
                .containsExactly(new int[] {0, 1, 2, 3}, new int[] {4}, new int[] {5});
    }

    @Test
    void refusesPositiveInfinityAndRaggedVectors() {
        assertThatThrownBy(() -> ParetoFront.nonDominatedSort(new double[][] {{1, INF}}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("+infinity");
        assertThatThrownBy(() -> ParetoFront.nonDominatedSort(new double[][] {{1, 2}, {1}}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("vector 1 has 1 entries");
        assertThat(ParetoFront.nonDominatedSort(new double[0][])).isEmpty();
    }

    @Test
    void repeatsAreTheVectorsEqualToAnEarlierOneAndTheDistinctFrontKeepsTheEarliest() {
        double nan = Double.NaN;
        double[][] v = {{1, 0}, {0.5, 0.5}, {1, 0}, {0, 1}, {0.5, 0.5}, {0.2, 0.2}, {-0.0, 1}, {nan, 1}, {nan, 1}};
        assertThat(ParetoFront.samePoint(new double[] {0.0, 1}, new double[] {-0.0, 1})).isTrue();
        assertThat(ParetoFront.samePoint(new double[] {nan, 1}, new double[] {nan, 1})).isTrue();
        assertThat(ParetoFront.samePoint(new double[] {1, 0}, new double[] {1, 0, 0})).isFalse();
        assertThat(ParetoFront.samePoint(new double[] {1, 0}, new double[] {1, 1e-12})).isFalse();
        // 2 repeats 0, 4 repeats 1, 6 repeats 3 (-0.0 is 0.0), 8 repeats 7 (the same failure)
        assertThat(ParetoFront.repeats(v)).containsExactly(false, false, true, false, true, false, true, false, true);
        // the plain front holds every tie; the distinct one the earliest of each point
        assertThat(ParetoFront.nonDominated(v)).containsExactly(0, 1, 2, 3, 4, 6);
        assertThat(ParetoFront.distinctNonDominated(v)).containsExactly(0, 1, 3);
    }
}
