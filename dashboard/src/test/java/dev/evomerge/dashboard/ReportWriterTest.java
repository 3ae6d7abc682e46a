package dev.evomerge.dashboard;

import dev.evomerge.evolve.store.RunBeforeTypedResults;
import dev.evomerge.evolve.store.RunStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class ReportWriterTest {

    @Test
    void writesHtmlPngsAndSummary(@TempDir Path dir) throws Exception {
        RunFixtures.write(dir.resolve("run"));
        RunSummary summary;
        try (RunStore s = RunStore.openReadOnly(dir.resolve("run"))) {
            summary = RunSummary.read("run", s);
        }
        Path out = dir.resolve("report");
        ReportWriter.write(summary, out);
        for (String png : new String[] {"fitness.png", "task_metrics.png", "best_genome.png"}) {
            BufferedImage img = ImageIO.read(out.resolve(png).toFile());
            assertThat(img.getWidth()).as(png).isGreaterThanOrEqualTo(500);
            assertThat(img.getHeight()).as(png).isGreaterThanOrEqualTo(300);
            Set<Integer> colours = new HashSet<>();
            for (int y = 0; y < img.getHeight(); y += 3) {
                for (int x = 0; x < img.getWidth(); x += 3) {
                    colours.add(img.getRGB(x, y));
                }
            }
            assertThat(colours.size()).as(png + " is not blank").isGreaterThan(20);
        }
        String html = Files.readString(out.resolve("report.html"));
        assertThat(html).contains("data:image/png;base64,").contains("&lt;script&gt;alert(1)&lt;/script&gt;")
                .doesNotContain("<script>alert(1)</script>").doesNotContain("<img src=x")
                .contains("<p id=\"llm-counts\">requests 5, retries 1, corrections 0, failed requests 0, fallbacks 1, tokens 10000 in + 200 out, cost ~0.0270.</p>")
                .contains("<em>retry: HTTP 429: slow down; retry 1 of 5 in 2.0 s</em>");
        String md = Files.readString(out.resolve("summary.md"));
        assertThat(md).contains("| 3 | 6 | 0 |").contains("![fitness](fitness.png)").contains("- candidates: 24")
                .contains("- LLM: requests 5, retries 1, corrections 0, failed requests 0, fallbacks 1, tokens 10000 in + 200 out, cost ~0.0270\n");
        assertThat(Files.list(out).filter(p -> p.getFileName().toString().endsWith(".tmp"))).isEmpty();
        // readable by others, like any file the user writes (not owner-only)
        assertThat(Files.getPosixFilePermissions(out.resolve("report.html")))
                .contains(java.nio.file.attribute.PosixFilePermission.OTHERS_READ);
    }

    @Test
    void aRunStoredBeforeTheTypedResultsHasItsReport(@TempDir Path dir) throws Exception {
        Path run = RunBeforeTypedResults.copyTo(dir.resolve("old"));
        RunSummary summary;
        try (RunStore s = RunStore.openReadOnly(run)) {
            summary = RunSummary.read("old", s);
        }
        Path out = dir.resolve("report");
        ReportWriter.write(summary, out);
        assertThat(ImageIO.read(out.resolve("best_genome.png").toFile()).getWidth()).isGreaterThanOrEqualTo(500);
        assertThat(Files.readString(out.resolve("summary.md")))
                .contains("- best fitness: 0.8020833333333334 (generation 2, candidate 7)\n")
                .contains("| 0 | 8 | 8 | – | – | – |\n| 1 | 8 | 3 | 0.6146 | 0.4646 | 0.6146 |\n| 2 | 8 | 3 | 0.8021 | 0.5917 | 0.8021 |\n")
                .contains("```yaml\n" + RunBeforeTypedResults.text("best_config.yaml") + "```\n");
    }

    @Test
    void theHeatMapLabelsItsColumnsFromTheStoredLayout(@TempDir Path dir) {
        RunFixtures.write(dir.resolve("run"));
        RunSummary summary;
        try (RunStore s = RunStore.openReadOnly(dir.resolve("run"))) {
            summary = RunSummary.read("run", s);
        }
        var chart = ReportWriter.heatmapChart(summary);
        assertThat(List.<Object>copyOf(chart.getHeatMapSeries().getXData())).containsExactly("a weight", "b weight");
        double[] best = summary.best().orElseThrow().candidate().genes();
        // cell (column 1 = model b, row 1 = layer group 1) holds gene ((1 * 2 + 1) * 1 + 0) * 1 + 0 = 3
        List<Number[]> cells = List.copyOf(chart.getHeatMapSeries().getHeatData());
        assertThat(cells).anySatisfy(cell -> {
            assertThat(cell[0].intValue()).isEqualTo(1);
            assertThat(cell[1].intValue()).isEqualTo(1);
            assertThat(cell[2].doubleValue()).isEqualTo(best[3]);
        });
    }
}
