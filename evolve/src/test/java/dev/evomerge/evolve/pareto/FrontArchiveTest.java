package dev.evomerge.evolve.pareto;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class FrontArchiveTest {

    @Test
    void keepsTheEarliestMemberOfEachDistinctPointAndSurvivesItsState() {
        FrontArchive archive = new FrontArchive();
        int joined = archive.addAll(List.of(new double[] {0.1}, new double[] {0.2}, new double[] {0.3}, new double[] {0.4}),
                new double[][] {{1, 0}, {1, 0}, {0, 1}, {Double.NEGATIVE_INFINITY, 1}});
        assertThat(joined).isEqualTo(2); // the tie (0.2) and the failed candidate (0.4) stay out
        assertThat(archive.members()).extracting(m -> m.genes()[0]).containsExactly(0.1, 0.3);

        FrontArchive restored = new FrontArchive(archive.state());
        // a later tie of (0, 1) does not join; (0.5, 0.5) joins; (2, 0) replaces (1, 0)
        joined = restored.addAll(List.of(new double[] {0.5}, new double[] {0.6}, new double[] {0.7}),
                new double[][] {{0, 1}, {0.5, 0.5}, {2, 0}});
        assertThat(joined).isEqualTo(2);
        assertThat(restored.members()).extracting(m -> m.genes()[0]).containsExactly(0.3, 0.6, 0.7);
        assertThat(restored.members().get(0).objectives()).containsExactly(0, 1);
    }
}
