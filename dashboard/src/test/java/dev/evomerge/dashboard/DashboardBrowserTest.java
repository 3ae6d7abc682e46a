package dev.evomerge.dashboard;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** Opens the dashboard in real headless Chromium (Debian's package) and checks what a person would see. */
class DashboardBrowserTest {

    @TempDir
    static Path profile;
    static final HeadlessChromium.Lazy BROWSER = new HeadlessChromium.Lazy();

    @AfterAll
    static void closeBrowser() throws Exception {
        BROWSER.close();
    }

    static String attr(String dom, String id, String attr) {
        Matcher m = Pattern.compile("id=\"" + id + "\"[^>]*?" + attr + "=\"([^\"]*)\"|" + attr + "=\"([^\"]*)\"[^>]*?id=\"" + id + "\"").matcher(dom);
        assertThat(m.find()).as(id + " has " + attr).isTrue();
        return m.group(1) != null ? m.group(1) : m.group(2);
    }

    @Test
    void theDashboardRendersChartsTableAndEscapesThoughts(@TempDir Path dir) throws Exception {
        Path storage = dir.resolve("run");
        int n = RealRun.write(dir.resolve("work"), storage);
        try (DashboardServer s = new DashboardServer(storage, "127.0.0.1", 0)) {
            s.start();
            String url = s.uri().toString();
            String dom;
            Path shot = Path.of("target", "dashboard.png").toAbsolutePath();
            Files.createDirectories(shot.getParent());
            Files.deleteIfExists(shot);
            try (HeadlessChromium.Tab tab = BROWSER.get(profile.resolve("chromium")).open(url)) {
                dom = tab.dom();
                tab.screenshot(shot);
            }
            assertThat(dom).contains("data-ready=\"run\"");
            // fitness chart: best, mean and every scored candidate; metrics chart: one series per task metric
            assertThat(attr(dom, "fitness-chart", "data-series")).isEqualTo("3");
            assertThat(attr(dom, "fitness-chart", "data-points")).isEqualTo("4,4," + n);
            // the task reports acc and acc_norm: one curve each, one point per generation
            assertThat(attr(dom, "metrics-chart", "data-series")).isEqualTo("2");
            assertThat(attr(dom, "metrics-chart", "data-points")).isEqualTo("4,4");
            assertThat(attr(dom, "candidates", "data-rows")).isEqualTo(String.valueOf(n));
            assertThat(Pattern.compile("<tbody>(.*?)</tbody>", Pattern.DOTALL).matcher(dom).results()
                    .map(r -> r.group(1)).findFirst().orElseThrow().split("<tr").length - 1).isEqualTo(n);
            // the hostile thought is shown as text and ran nothing
            assertThat(dom).contains("&lt;script&gt;alert(1)&lt;/script&gt;");
            assertThat(dom).doesNotContain("data-pwned");
            // had the thought been parsed as HTML, its img would be in the DOM (its onerror may not have run yet)
            assertThat(dom).doesNotContain("<img");
            assertThat(dom).contains("fallback to the best genome");
            // the LLM counters: 5 requests, 0 retries, 3 corrections, 0 failed requests, 1 fallback
            assertThat(attr(dom, "llm-counts", "data-counts")).isEqualTo("5,0,3,0,1");
            assertThat(dom).contains("requests 5, retries 0, corrections 3, failed requests 0, fallbacks 1, tokens ~");
            // and the tokens, estimated (the scripted server reports no usage), as the summary totals them
            try (var store = dev.evomerge.evolve.store.RunStore.openReadOnly(storage)) {
                var c = dev.evomerge.evolve.llm.LlmExchange.Counts.of(store.exchanges());
                assertThat(attr(dom, "llm-counts", "data-tokens")).isEqualTo(c.promptTokens() + "," + c.completionTokens());
                assertThat(dom).contains(c.tokensText());
            }
            // heat map of the best genome: 2 layer groups x 2 models
            assertThat(dom).contains("class=\"heatmap\"");
            assertThat(Files.size(shot)).isGreaterThan(20_000);
        }
    }

    @Test
    void theRunListShowsAnUnreadableRunWithItsReason(@TempDir Path dir) throws Exception {
        Path runs = dir.resolve("runs");
        RunFixtures.write(runs.resolve("run-a"));
        Files.createDirectories(runs.resolve("run-empty"));
        Files.createFile(runs.resolve("run-empty/run.db"));
        try (DashboardServer s = new DashboardServer(runs, "127.0.0.1", 0)) {
            s.start();
            String dom;
            try (HeadlessChromium.Tab tab = BROWSER.get(profile.resolve("chromium")).open(s.uri().toString())) {
                dom = tab.dom();
            }
            assertThat(dom).contains("data-ready=\"runs\"");
            assertThat(dom).contains("href=\"/?run=run-a\"");
            assertThat(dom).contains("<span>run-empty</span>").contains("unreadable: ").contains("the file is empty");
            assertThat(dom).doesNotContain("href=\"/?run=run-empty\"");
        }
    }
}
