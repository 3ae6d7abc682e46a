package dev.evomerge.evolve.pareto;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.evolve.optimizer.RandomSearch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class Nsga2Test {

    /** ZDT1's front f2 = 1 - sqrt(f1) against (1.1, 1.1): 0.1 + 2/3 over f1 in [0, 1], plus 0.1 x 1.1 beyond. */
    static final double ZDT1_TRUE_HYPERVOLUME = 0.1 + 2.0 / 3 + 0.11;
    static final double[] ZDT1_REFERENCE = {-1.1, -1.1};

    /** ZDT1 (both objectives minimised in its definition), negated so that both are maximised. */
    static double[] zdt1(double[] x) {
        double f1 = x[0];
        double sum = 0;
        for (int i = 1; i < x.length; i++) {
            sum += x[i];
        }
        double g = 1 + 9 * sum / (x.length - 1);
        double f2 = g * (1 - Math.sqrt(f1 / g));
        return new double[] {-f1, -f2};
    }

    static double[][] evaluate(List<double[]> xs) {
        return xs.stream().map(Nsga2Test::zdt1).toArray(double[][]::new);
    }

    static double nsga2Hypervolume(long seed, int generations) {
        Nsga2 nsga2 = new Nsga2(6, 2, Nsga2.defaultPopulationSize(6), seed);
        for (int g = 0; g < generations; g++) {
            List<double[]> xs = nsga2.ask();
            nsga2.tell(xs, evaluate(xs));
        }
        double[][] front = nsga2.front().stream().map(FrontMember::objectives).toArray(double[][]::new);
        return Hypervolume.of(front, ZDT1_REFERENCE);
    }

    static double randomHypervolume(long seed, int generations) {
        RandomSearch random = new RandomSearch(6, Nsga2.defaultPopulationSize(6), seed);
        List<double[]> all = new ArrayList<>();
        for (int g = 0; g < generations; g++) {
            List<double[]> xs = random.ask();
            all.addAll(xs);
            random.tell(xs, new double[xs.size()]);
        }
        return Hypervolume.of(evaluate(all), ZDT1_REFERENCE);
    }

    @Test
    void defaultPopulationIsTheSingleObjectiveDefaultRoundedUpToEven() {
        assertThat(Nsga2.defaultPopulationSize(1)).isEqualTo(4);   // 4 + round(0)
        assertThat(Nsga2.defaultPopulationSize(3)).isEqualTo(8);   // 4 + round(3.30) = 7
        assertThat(Nsga2.defaultPopulationSize(6)).isEqualTo(10);  // 4 + round(5.38) = 9
        assertThat(Nsga2.defaultPopulationSize(20)).isEqualTo(14); // 4 + round(8.99) = 13
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void approachesZdt1sFrontAndBeatsRandomSearchAtEqualEvaluations(long seed) {
        int generations = 300; // 3000 evaluations with the default population of 10
        double nsga2 = nsga2Hypervolume(seed, generations);
        double random = randomHypervolume(seed, generations);
        assertThat(nsga2).isGreaterThanOrEqualTo(0.6 * ZDT1_TRUE_HYPERVOLUME);
        assertThat(nsga2).isGreaterThanOrEqualTo(2 * random); // measured (seeds 1-5): 0.80-0.81 against 0.04-0.25
    }

    @Test
    void aRestoredOptimizerAsksForTheSameGenerationsAsTheUninterruptedOne() throws Exception {
        Nsga2 uninterrupted = new Nsga2(6, 2, 10, 42);
        for (int g = 0; g < 6; g++) {
            List<double[]> xs = uninterrupted.ask();
            double[][] f = evaluate(xs);
            f[g % xs.size()] = new double[] {Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY}; // failed candidates
            f[(g + 3) % xs.size()] = new double[] {Double.NaN, -0.5};
            uninterrupted.tell(xs, f);
        }
        // through JSON, as the run store keeps optimizer states
        ObjectMapper json = new ObjectMapper();
        Nsga2 restored = new Nsga2(json.readValue(json.writeValueAsString(uninterrupted.state()), Nsga2.State.class));

        for (int g = 0; g < 4; g++) {
            List<double[]> a = uninterrupted.ask();
            List<double[]> b = restored.ask();
            assertThat(b).hasSize(10);
            for (int k = 0; k < a.size(); k++) {
                assertThat(b.get(k)).containsExactly(a.get(k));
            }
            uninterrupted.tell(a, evaluate(a));
            restored.tell(b, evaluate(b));
        }
        assertThat(restored.state().generation()).isEqualTo(10);
        assertThat(restored.state().genes()).isDeepEqualTo(uninterrupted.state().genes());
        assertThat(restored.state().objectives()).isDeepEqualTo(uninterrupted.state().objectives());
    }

    @Test
    void askingTwiceWithoutTellingGivesTheSameCandidates() {
        Nsga2 nsga2 = new Nsga2(4, 2, 8, 5);
        List<double[]> first = nsga2.ask();
        nsga2.tell(first, evaluate(first));
        List<double[]> a = nsga2.ask();
        List<double[]> b = nsga2.ask();
        for (int k = 0; k < a.size(); k++) {
            assertThat(b.get(k)).containsExactly(a.get(k));
            for (double gene : a.get(k)) {
                assertThat(gene).isBetween(0.0, 1.0);
            }
        }
        assertThat(a.getFirst()).isNotEqualTo(first.getFirst());
    }

    @Test
    void survivalKeepsWholeFrontsThenTheMostCrowdedApart() {
        // fronts {0,1,2,5}, {3}, {4}; front 0's crowding distances inf, 7/6, 17/12, inf
        double[][] f = {{1, 5}, {2, 4}, {3, 3}, {2, 2}, {1, 1}, {4, 1}};
        assertThat(Nsga2.survivors(f, 5)).containsExactly(0, 1, 2, 5, 3);
        assertThat(Nsga2.survivors(f, 4)).containsExactly(0, 1, 2, 5);
        assertThat(Nsga2.survivors(f, 3)).containsExactly(0, 5, 2);
        assertThat(Nsga2.survivors(f, 2)).containsExactly(0, 5);
        assertThat(Nsga2.survivors(f, 8)).containsExactly(0, 1, 2, 3, 4, 5);
    }

    @Test
    void theFrontHoldsTheNonDominatedMembersAndNoFailedOnes() {
        Nsga2 nsga2 = new Nsga2(2, 2, 4, 1);
        assertThat(nsga2.front()).isEmpty();
        List<double[]> xs = List.of(new double[] {0.1, 0.1}, new double[] {0.2, 0.2}, new double[] {0.3, 0.3},
                new double[] {0.4, 0.4});
        double[] failed = {Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY};
        nsga2.tell(xs, new double[][] {{1, 2}, {2, 1}, {1, 1}, failed});
        assertThat(nsga2.front()).extracting(m -> m.objectives()[0]).containsExactly(1.0, 2.0);
        assertThat(nsga2.front().getFirst().genes()).containsExactly(0.1, 0.1);

        Nsga2 allFailed = new Nsga2(2, 2, 4, 1);
        allFailed.tell(xs, new double[][] {failed, failed, failed, failed});
        assertThat(allFailed.front()).isEmpty();
        assertThat(allFailed.ask()).hasSize(4);
    }

    @Test
    void refusesMalformedCandidatesAndStates() {
        Nsga2 nsga2 = new Nsga2(2, 2, 4, 1);
        assertThatThrownBy(() -> nsga2.tell(List.of(new double[] {0.5, 0.5}), new double[][] {{1, 2, 3}}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3 objectives");
        assertThatThrownBy(() -> nsga2.tell(List.of(new double[] {0.5, 1.5}), new double[][] {{1, 2}}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside [0, 1]");
        assertThatThrownBy(() -> nsga2.tell(List.of(new double[] {0.5, 0.5}), new double[0][]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 candidates but 0");
        assertThatThrownBy(() -> new Nsga2(2, 2, 5, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("even population");
    }

    @Test
    void survivalRanksVectorsThatTieWithAnEarlierOneAfterEveryDistinctOne() {
        // front 0 is {0, 1, 2, 3, 4}, but 1 and 4 are the point (1, 0) again: without duplicate elimination the
        // five would take all four places by crowding and drop 5; with it the distinct (0.2, 0.2) of front 1 comes first
        double[][] scores = {{1, 0}, {1, 0}, {0, 1}, {0.5, 0.5}, {1, 0}, {0.2, 0.2}};
        assertThat(Nsga2.survivors(scores, 4)).containsExactly(0, 2, 3, 5);
        // fewer distinct points (2) than places (3): the repeats fill the rest, the earliest first on a tie
        assertThat(Nsga2.survivors(new double[][] {{1, 0}, {1, 0}, {1, 0}, {0, 1}}, 3)).containsExactly(0, 3, 1);
        // distinct and repeats each sorted by rank: the repeat of (0.5, 0.5) takes the last place, not that of (0.1, 0.1)
        assertThat(Nsga2.survivors(new double[][] {{0.1, 0.1}, {0.5, 0.5}, {0.1, 0.1}, {0.5, 0.5}}, 3))
                .containsExactly(1, 0, 3);
    }

    @Test
    void frontHoldsOneMemberPerDistinctPointAndTheTournamentPrefersDistinctMembers() {
        Nsga2 nsga2 = new Nsga2(2, 2, 6, 3);
        List<double[]> first = nsga2.ask();
        // six candidates, only two distinct points; the earliest of each is the front
        double[][] ties = {{1, 0}, {1, 0}, {0, 1}, {1, 0}, {0, 1}, {0, 1}};
        nsga2.tell(first, ties);
        List<FrontMember> front = nsga2.front();
        assertThat(front).hasSize(2);
        assertThat(front.get(0).genes()).containsExactly(first.get(0));
        assertThat(front.get(0).objectives()).containsExactly(1, 0);
        assertThat(front.get(1).genes()).containsExactly(first.get(2));
        assertThat(front.get(1).objectives()).containsExactly(0, 1);

        // the restored optimizer recomputes the same ranks: the same front and the same offspring
        Nsga2 restored = new Nsga2(nsga2.state());
        assertThat(restored.front()).hasSize(2);
        assertThat(restored.front().get(1).genes()).containsExactly(first.get(2));
        List<double[]> a = nsga2.ask();
        List<double[]> b = restored.ask();
        for (int k = 0; k < a.size(); k++) {
            assertThat(b.get(k)).containsExactly(a.get(k));
        }

        // offspring that tie with the front again do not displace it, a new distinct point joins the population
        double[][] next = {{1, 0}, {0, 1}, {1, 0}, {0.6, 0.6}, {0, 1}, {1, 0}};
        nsga2.tell(a, next);
        assertThat(nsga2.front()).extracting(m -> m.objectives()[0]).containsExactly(1.0, 0.0, 0.6);
        assertThat(nsga2.front().get(0).genes()).containsExactly(first.get(0)); // the earliest (1, 0) stays
        assertThat(nsga2.state().objectives().length).isEqualTo(6);
    }
}
