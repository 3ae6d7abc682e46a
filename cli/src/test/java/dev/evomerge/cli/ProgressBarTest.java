package dev.evomerge.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

class ProgressBarTest {

    @Test
    void redrawsInPlaceWithRateElapsedTimeLeftAndSuffix() {
        StringWriter sw = new StringWriter();
        ProgressBar bar = new ProgressBar(new PrintWriter(sw), "merging", 4, "tensors", true).suffix(() -> "0.50 GB/s");
        for (int i = 0; i < 4; i++) {
            bar.step(1);
        }
        bar.close();
        String[] frames = sw.toString().split("\r");
        // the first step draws at once; the last step and close draw the complete bar, then a newline
        assertThat(frames[1]).startsWith("merging [#######---------------------] 1/4 tensors (").contains(" left)")
                .endsWith(" 0.50 GB/s" + ProgressBar.CLEAR_TO_END);
        String last = frames[frames.length - 1];
        assertThat(last).startsWith("merging [############################] 4/4 tensors (").doesNotContain("left")
                .endsWith("0.50 GB/s" + ProgressBar.CLEAR_TO_END + System.lineSeparator());
        assertThat(last).matches("(?s).*\\(\\d+\\.\\d (tensors/s|s/tensors), \\d+\\.\\d s\\).*");
    }

    @Test
    void aDisabledBarPrintsNothing() {
        StringWriter sw = new StringWriter();
        try (ProgressBar bar = new ProgressBar(new PrintWriter(sw), "x", 3, "items", false)) {
            bar.step(3);
        }
        assertThat(sw.toString()).isEmpty();
    }

    @Test
    void timeLeftFollowsTheRate() {
        ProgressBar bar = new ProgressBar(new PrintWriter(new StringWriter()), "eval", 100, "requests", false);
        bar.set(25);
        long start = System.nanoTime();
        // 25 done in 10 s (virtual clock) -> 2.5/s, 75 left -> 30 s left
        String line = bar.line(start + 10_000_000_000L);
        assertThat(line).contains("25/100 requests (2.5 requests/s, 10.0 s, 30.0 s left)");
    }

    @Test
    void durationsAreShort() {
        assertThat(ProgressBar.duration(5.24)).isEqualTo("5.2 s");
        assertThat(ProgressBar.duration(125)).isEqualTo("2m05s");
        assertThat(ProgressBar.duration(7322)).isEqualTo("2h02m");
    }
}
