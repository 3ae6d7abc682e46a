package dev.evomerge.eval.estimate;

import dev.evomerge.core.EvomergeException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class AnchorSelectorTest {

    /** Items in groups; every item of group g has the same results: model i gets it right iff bit i of g+1 is set. */
    private static CalibrationMatrix groups(int models, int... sizes) {
        List<TaskItem> items = new ArrayList<>();
        List<Integer> group = new ArrayList<>();
        for (int g = 0; g < sizes.length; g++) {
            for (int s = 0; s < sizes[g]; s++) {
                items.add(TaskItem.of(items.size() + 100));
                group.add(g);
            }
        }
        double[][] y = new double[models][items.size()];
        for (int i = 0; i < models; i++) {
            for (int j = 0; j < items.size(); j++) {
                y[i][j] = ((group.get(j) + 1) >> i & 1);
            }
        }
        return CalibrationMatrix.of("groups", items, y);
    }

    @Test
    void oneAnchorPerGroupOfAlikeItemsWeightedByTheGroupsShare() {
        Anchors anchors = AnchorSelector.select(groups(4, 10, 20, 30, 15, 25), 5, 3);
        assertThat(anchors.anchors()).extracting(Anchor::clusterSize).containsExactly(10, 20, 30, 15, 25);
        assertThat(anchors.anchors()).extracting(Anchor::weight).containsExactly(0.1, 0.2, 0.3, 0.15, 0.25);
        // one anchor inside each group's range of positions (0-9, 10-29, 30-59, 60-74, 75-99)
        List<Integer> columns = anchors.columns();
        int[] starts = {0, 10, 30, 60, 75, 100};
        for (int g = 0; g < 5; g++) {
            assertThat(columns.get(g)).isBetween(starts[g], starts[g + 1] - 1);
        }
        assertThat(anchors.documents()).isEqualTo(columns.stream().map(c -> c + 100).toList());
        // cluster-weighted mean: 0.1*1 + 0.2*0 + 0.3*1 + 0.15*0 + 0.25*0.5
        assertThat(anchors.estimate(new double[] {1, 0, 1, 0, 0.5})).isCloseTo(0.525, within(1e-12));
    }

    @Test
    void itemsTheModelsCannotTellApartGetOneAnchorEvenWhenKIsLarger() {
        Anchors anchors = AnchorSelector.select(groups(3, 12, 8, 20), 5, 3);
        assertThat(anchors.anchors()).extracting(Anchor::clusterSize).containsExactly(12, 8, 20);
        assertThat(anchors.anchors().stream().mapToDouble(Anchor::weight).sum()).isCloseTo(1, within(1e-12));
    }

    @Test
    void proportionalAllocationSpreadsKAnchorsOverTheGroupsBySize() {
        // 3 groups of 12, 8 and 20 alike items; k-means finds them, and 10 anchors go 3, 2, 5
        CalibrationMatrix calibration = groups(3, 12, 8, 20);
        Anchors anchors = AnchorSelector.select(calibration, 10, 3, AnchorSelector.Allocation.PROPORTIONAL);
        assertThat(anchors.anchors()).hasSize(10);
        int[] starts = {0, 12, 20, 40};
        int[] perGroup = new int[3];
        for (Anchor a : anchors.anchors()) {
            int g = a.column() < 12 ? 0 : a.column() < 20 ? 1 : 2;
            perGroup[g]++;
            assertThat(a.clusterSize()).isEqualTo(starts[g + 1] - starts[g]);
            // each anchor stands for its share of its group: 12/40/3, 8/40/2, 20/40/5 = 0.1
            assertThat(a.weight()).isCloseTo(0.1, within(1e-12));
        }
        assertThat(perGroup).containsExactly(3, 2, 5);
        assertThat(anchors.columns()).doesNotHaveDuplicates().isSorted();
        // results 1 on the first group only: its share 12/40
        double[] results = anchors.columns().stream().mapToDouble(c -> c < 12 ? 1 : 0).toArray();
        assertThat(anchors.estimate(results)).isCloseTo(0.3, within(1e-12));
        assertThat(AnchorSelector.select(calibration, 10, 3, AnchorSelector.Allocation.PROPORTIONAL)).isEqualTo(anchors);
    }

    @Test
    void proportionalAllocationFoldsAClusterTooSmallForAnAnchorIntoTheNearest() {
        // 5 groups; with K = 5 the group of 2 of 100 items gets no anchor and joins a neighbour
        Anchors anchors = AnchorSelector.select(groups(4, 30, 2, 28, 20, 20), 5, 3, AnchorSelector.Allocation.PROPORTIONAL);
        assertThat(anchors.anchors()).hasSize(5);
        assertThat(anchors.anchors().stream().mapToDouble(Anchor::weight).sum()).isCloseTo(1, within(1e-12));
        // quotas 1.5, 0.1, 1.4, 1, 1 -> 2, 0, 1, 1, 1; the 2 items join the group of 28 (nearest vector), making 30
        assertThat(anchors.anchors()).extracting(Anchor::clusterSize).containsExactly(30, 30, 30, 20, 20);
        assertThat(anchors.anchors().get(2).weight()).isCloseTo(0.3, within(1e-12));
    }

    @Test
    void theSameSeedGivesTheSameAnchorsAndAnotherSeedOthers() {
        CalibrationMatrix calibration = SimulatedResponses.calibrated(5, 400, 2.0, 40).calibration();
        Anchors first = AnchorSelector.select(calibration, 30, 1);
        assertThat(AnchorSelector.select(calibration, 30, 1)).isEqualTo(first);
        assertThat(AnchorSelector.select(calibration, 30, 2).columns()).isNotEqualTo(first.columns());
        assertThat(first.anchors()).hasSize(30);
        assertThat(first.anchors().stream().mapToInt(Anchor::clusterSize).sum()).isEqualTo(400);
        // the weights sum to 1: a candidate right on every anchor is estimated at 1
        double[] ones = new double[30];
        Arrays.fill(ones, 1);
        assertThat(first.estimate(ones)).isCloseTo(1, within(1e-12));
    }

    @Test
    void aTaskWithFewerDocumentsThanKSaysSoInOneSentence() {
        assertThatThrownBy(() -> AnchorSelector.select(groups(2, 3, 3), 10, 1))
                .isInstanceOf(EvomergeException.class)
                .hasMessage("task groups has 6 documents, fewer than --anchors 10; lower --anchors to at most 6 "
                        + "or use --fitness-estimator full.");
    }

    @Test
    void calibrationResultsOutsideZeroOneAreRefused() {
        assertThatThrownBy(() -> CalibrationMatrix.of("wikitext", List.of(TaskItem.of(4)), new double[][] {{12.5}}))
                .isInstanceOf(EvomergeException.class)
                .hasMessage("calibration model 0 scored 12.5 on document 4 of task wikitext, outside [0, 1]; "
                        + "estimated fitness needs a per-document metric in [0, 1], use --fitness-estimator full "
                        + "for this task.");
    }
}
