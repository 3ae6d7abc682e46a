package dev.evomerge.eval.estimate;

import dev.evomerge.core.EvomergeException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SubsetSelectorTest {

    /** Items with strata given as runs: ("A", 500) gives 500 items of stratum A, in task order. */
    private static List<TaskItem> items(Object... runs) {
        List<TaskItem> items = new ArrayList<>();
        for (int r = 0; r < runs.length; r += 2) {
            for (int i = 0; i < (Integer) runs[r + 1]; i++) {
                int document = items.size() * 3;
                items.add(runs[r] == null ? TaskItem.of(document) : TaskItem.of(document, (String) runs[r]));
            }
        }
        return items;
    }

    private static Map<String, Integer> countsByStratum(List<TaskItem> items, Subset subset) {
        Map<String, Integer> counts = new TreeMap<>();
        for (int column : subset.columns()) {
            counts.merge(items.get(column).stratum().orElse("-"), 1, Integer::sum);
        }
        return counts;
    }

    @Test
    void stratumSharesAreProportional() {
        List<TaskItem> items = items("0", 500, "1", 300, "2", 200);
        Subset subset = SubsetSelector.select("arc", items, 100, 7);
        assertThat(countsByStratum(items, subset)).isEqualTo(Map.of("0", 50, "1", 30, "2", 20));
        assertThat(subset.columns()).isSorted().doesNotHaveDuplicates();
        assertThat(subset.documents()).isEqualTo(subset.columns().stream().map(c -> c * 3).toList());
    }

    @Test
    void leftoverItemsGoToTheLargestRemainders() {
        // K = 4 of 5/3/2: quotas 2, 1.2, 0.8 -> floors 2, 1, 0; the one left goes to stratum c (remainder 0.8)
        List<TaskItem> items = items("a", 5, "b", 3, "c", 2);
        assertThat(countsByStratum(items, SubsetSelector.select("t", items, 4, 1)))
                .isEqualTo(Map.of("a", 2, "b", 1, "c", 1));
        // K = 3 of 1/1/1 unlabelled-first ties: every stratum gets one
        List<TaskItem> even = items(null, 1, "x", 1, "y", 1);
        assertThat(countsByStratum(even, SubsetSelector.select("t", even, 3, 1)))
                .isEqualTo(Map.of("-", 1, "x", 1, "y", 1));
        // K = 1 of 2/2 (equal remainders and sizes): the unlabelled stratum sorts first
        List<TaskItem> tie = items("z", 2, null, 2);
        assertThat(countsByStratum(tie, SubsetSelector.select("t", tie, 1, 1))).isEqualTo(Map.of("-", 1));
    }

    @Test
    void theSameSeedAndTaskGiveTheSameSubsetAndOthersDiffer() {
        List<TaskItem> items = items("0", 250, "1", 250, "2", 250, "3", 250);
        Subset first = SubsetSelector.select("arc", items, 40, 7);
        assertThat(SubsetSelector.select("arc", items, 40, 7)).isEqualTo(first);
        assertThat(SubsetSelector.select("arc", items, 40, 8).columns()).isNotEqualTo(first.columns());
        assertThat(SubsetSelector.select("hellaswag", items, 40, 7).columns()).isNotEqualTo(first.columns());
    }

    @Test
    void theEstimateIsTheMeanOfTheResults() {
        Subset subset = SubsetSelector.select("t", items(null, 10), 4, 3);
        assertThat(subset.estimate(new double[] {1, 0, 0.5, 1})).isEqualTo(0.625);
        assertThatThrownBy(() -> subset.estimate(new double[] {1, 0})).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> subset.estimate(new double[] {1, 0, 2, 1}))
                .hasMessageContaining("outside [0, 1]");
    }

    @Test
    void aTaskWithFewerDocumentsThanKSaysSoInOneSentence() {
        assertThatThrownBy(() -> SubsetSelector.select("arc_easy", items(null, 40), 100, 1))
                .isInstanceOf(EvomergeException.class)
                .hasMessage("task arc_easy has 40 documents, fewer than --anchors 100; lower --anchors to at most 40 "
                        + "or use --fitness-estimator full.")
                .extracting(e -> ((EvomergeException) e).kind()).isEqualTo(EvomergeException.Kind.USAGE);
        assertThatThrownBy(() -> SubsetSelector.select("arc_easy", items(null, 40), 0, 1))
                .hasMessage("--anchors must be at least 1, got 0.");
    }
}
