package dev.evomerge.evolve.run;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class GenerationStatsTest {

    static Evaluation scored(int generation, int index, double score) {
        return new Evaluation(TestCandidates.of(generation, index, 0.5), score, Map.of(), null, 0, 0, "w");
    }

    static Evaluation failed(int generation, int index) {
        return Evaluation.failed(TestCandidates.of(generation, index, 0.5), "merge failed", 0, 0, "w");
    }

    @Test
    void eachGenerationCountsItsFailuresAndCarriesTheBestSoFar() {
        List<GenerationStats> s = GenerationStats.ofRun(List.of(scored(0, 0, 0.5), failed(0, 1), scored(0, 2, 0.25),
                failed(1, 0), failed(1, 1), scored(2, 0, 0.75), scored(2, 1, 0.125)));
        assertThat(s).containsExactly(
                new GenerationStats(0, 3, 1, 0.5, 0.375, 0.5),
                new GenerationStats(1, 2, 2, Double.NaN, Double.NaN, 0.5),
                new GenerationStats(2, 2, 0, 0.75, 0.4375, 0.75));
        assertThat(s.get(1).scored()).isFalse();
    }

    @Test
    void theBestSoFarIsNaNUntilACandidateScoresAndKeepsAnEarlierBetterGeneration() {
        assertThat(GenerationStats.of(4, List.of(failed(4, 0)), Double.NaN).bestSoFar()).isNaN();
        assertThat(GenerationStats.of(4, List.of(scored(4, 0, 0.2)), 0.9).bestSoFar()).isEqualTo(0.9);
        assertThat(GenerationStats.of(4, List.of(), Double.NaN)).isEqualTo(new GenerationStats(4, 0, 0, Double.NaN, Double.NaN, Double.NaN));
    }

    @Test
    void theBestOfARunIsTheEarliestOfEqualScores() {
        Evaluation first = scored(1, 3, 0.5);
        assertThat(Evaluation.best(List.of(scored(0, 0, 0.25), failed(0, 1), first, scored(2, 0, 0.5)))).isSameAs(first);
        assertThat(Evaluation.best(List.of(scored(2, 0, 0.5), first))).isSameAs(first);
        assertThat(Evaluation.best(List.of(failed(0, 0)))).isNull();
    }
}
