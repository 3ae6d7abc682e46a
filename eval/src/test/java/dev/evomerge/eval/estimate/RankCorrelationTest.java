package dev.evomerge.eval.estimate;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class RankCorrelationTest {

    @Test
    void spearmanIsPearsonOfMeanRanks() {
        // ranks of x: 1, 2.5, 2.5, 4; of y: 2, 1, 3, 4 -> Pearson of the ranks = 3 / sqrt(4.5 * 5)
        double[] x = {0.1, 0.3, 0.3, 0.9};
        double[] y = {5, 2, 7, 8};
        assertThat(RankCorrelation.ranks(x)).containsExactly(1, 2.5, 2.5, 4);
        assertThat(RankCorrelation.spearman(x, y)).isCloseTo(3 / Math.sqrt(22.5), within(1e-12));
        // any increasing map of one series keeps rho = 1; reversing gives -1
        assertThat(RankCorrelation.spearman(new double[] {1, 2, 3}, new double[] {1, 8, 27})).isCloseTo(1, within(1e-12));
        assertThat(RankCorrelation.spearman(new double[] {1, 2, 3}, new double[] {3, 2, 1})).isCloseTo(-1, within(1e-12));
    }

    @Test
    void meanAbsoluteErrorAveragesTheGaps() {
        assertThat(RankCorrelation.meanAbsoluteError(new double[] {0.5, 0.2, 0.9}, new double[] {0.4, 0.3, 0.6}))
                .isCloseTo(0.5 / 3, within(1e-12));
    }
}
