package dev.evomerge.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

class TextProgressBarTest {

    @Test
    void redrawsInPlaceAndEndsWithAFullBarAndANewline() {
        StringWriter sw = new StringWriter();
        TextProgressBar bar = new TextProgressBar(new PrintWriter(sw), "merging", 4);
        for (int i = 0; i < 4; i++) {
            bar.step(1_000_000);
        }
        bar.close();
        String text = sw.toString();
        String[] frames = text.split("\r");
        String last = frames[frames.length - 1];
        // the first step draws at once; the last step and close draw the complete bar
        assertThat(frames[1]).startsWith("merging [#######-----------------------] 1/4 ");
        assertThat(last).startsWith("merging [##############################] 4/4 ").endsWith(System.lineSeparator());
        assertThat(last).matches("(?s).* \\d+\\.\\d s \\d+\\.\\d\\d GB/s\\R");
    }
}
