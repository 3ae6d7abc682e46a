package dev.evomerge.engine;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LoglikelihoodWindowsTest {

    @Test
    void rollingSplitsIntoLmEvalWindows() {
        // tokens 1..5, prefix 0, max length 2: ([0],[1,2]) ([2],[3,4]) ([3,4],[5]) as get_rolling_token_windows +
        // make_disjoint_window give
        List<LoglikelihoodRequest> w = RollingWindows.of(new int[] {1, 2, 3, 4, 5}, 0, 2);
        assertThat(w).containsExactly(new LoglikelihoodRequest(new int[] {0}, new int[] {1, 2}),
                new LoglikelihoodRequest(new int[] {2}, new int[] {3, 4}),
                new LoglikelihoodRequest(new int[] {3, 4}, new int[] {5}));
        assertThat(RollingWindows.of(new int[] {7, 8}, 1, 16))
                .containsExactly(new LoglikelihoodRequest(new int[] {1}, new int[] {7, 8}));
        assertThat(RollingWindows.of(new int[0], 1, 16)).isEmpty();
    }

    @Test
    void aFittedRequestKeepsTheLastMaxLengthPlusOneTokens() {
        LoglikelihoodRequest r = new LoglikelihoodRequest(new int[] {1, 2, 3, 4, 5}, new int[] {6, 7});
        // (context + continuation)[-(3 + 1):] = [4, 5, 6, 7]: context [4, 5], continuation unchanged
        assertThat(r.fittedTo(3)).isEqualTo(new LoglikelihoodRequest(new int[] {4, 5}, new int[] {6, 7}));
        assertThat(r.fittedTo(6)).isSameAs(r);
        assertThatThrownBy(() -> r.fittedTo(1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("a continuation of 2 tokens does not fit 1 positions");
    }
}
