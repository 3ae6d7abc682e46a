package dev.evomerge.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import dev.evomerge.evolve.CandidateEvaluationOptions;
import dev.evomerge.evolve.EvolutionLauncher;
import dev.evomerge.evolve.EvolveOptions;
import dev.evomerge.evolve.LlmOptions;
import dev.evomerge.evolve.ObjectiveOptions;
import dev.evomerge.evolve.OptimizerKind;
import dev.evomerge.evolve.SearchOptions;
import dev.evomerge.evolve.demo.TwoRecipeProblem;
import dev.evomerge.evolve.run.EvolutionListener;
import dev.evomerge.evolve.store.ParetoStore;
import dev.evomerge.evolve.store.RunStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

import static dev.evomerge.dashboard.DashboardBrowserTest.attr;
import static dev.evomerge.dashboard.DashboardServerTest.JSON;
import static dev.evomerge.dashboard.DashboardServerTest.get;
import static dev.evomerge.dashboard.DashboardServerTest.raw;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dashboard and the report of a real NSGA-II run on three objectives (two conflicting tasks and the merged model's
 * parameter count): the values they show are the run store's.
 */
class ParetoDashboardTest {

    @TempDir
    static Path dir;
    static Path storage;
    static ParetoStore.Front front;
    static List<ParetoStore.Front> fronts;
    static int points;
    static final HeadlessChromium.Lazy BROWSER = new HeadlessChromium.Lazy();

    @AfterAll
    static void closeBrowser() throws Exception {
        BROWSER.close();
    }

    @BeforeAll
    static void nsga2Run() {
        TwoRecipeProblem.Setup setup = TwoRecipeProblem.prepare(dir.resolve("problem"), 5, 24, 2);
        storage = dir.resolve("run");
        EvolveOptions o = new EvolveOptions(setup.genomeFile(), storage, false,
                new SearchOptions(OptimizerKind.parse("nsga2"), 2, null, 11, 6, false, null),
                LlmOptions.of("gpt-4o", null, null), CandidateEvaluationOptions.inMemory(setup.taskDirs(), 16, 2),
                false, false, false);
        EvolutionLauncher launcher = new EvolutionLauncher(o, w -> { }).objectives(new ObjectiveOptions(
                List.of(setup.taskNames().get(0), setup.taskNames().get(1) + "/acc,none", "params"), null));
        launcher.run(launcher.prepare(), launcher::localEvaluator, new EvolutionListener() { });
        try (RunStore store = RunStore.openReadOnly(storage)) {
            ParetoStore p = ParetoStore.of(store).orElseThrow();
            fronts = p.fronts();
            front = fronts.getLast();
            points = p.points().size();
        }
    }

    static String name(ParetoStore.CandidateId id) {
        return "g" + id.generation() + "-c" + id.index();
    }

    @Test
    void theSummaryHoldsTheStoredFrontPointsAndHypervolumes() throws Exception {
        try (DashboardServer s = new DashboardServer(storage, "127.0.0.1", 0)) {
            s.start();
            JsonNode p = JSON.readTree(get(s, "/api/runs/run/summary").body()).get("pareto");
            assertThat(p.get("objectives")).hasSize(3);
            assertThat(p.get("objectives").get(2).get("name").asText()).isEqualTo("params");
            assertThat(p.get("objectives").get(2).get("goal").asText()).isEqualTo("minimise");
            assertThat(p.get("points")).hasSize(points);
            assertThat(front.members()).hasSizeGreaterThanOrEqualTo(2);
            JsonNode members = p.get("front");
            assertThat(members).hasSize(front.members().size());
            long onFront = 0;
            for (JsonNode q : p.get("points")) {
                onFront += q.get("front").asBoolean() ? 1 : 0;
            }
            assertThat(onFront).isEqualTo(front.members().size());
            // the members and their scores are pareto.json's, which the run wrote from the same front
            JsonNode index = JSON.readTree(storage.resolve("pareto/pareto.json").toFile());
            for (int i = 0; i < members.size(); i++) {
                assertThat(members.get(i).get("name").asText()).isEqualTo(name(front.members().get(i)));
                assertThat(members.get(i).get("scores")).isEqualTo(index.get("members").get(i).get("scores"));
                assertThat(members.get(i).get("weighted_score").asDouble())
                        .isEqualTo(index.get("members").get(i).get("weighted_score").asDouble());
            }
            JsonNode hv = p.get("hypervolume");
            assertThat(hv).hasSize(3);
            for (int g = 0; g < fronts.size(); g++) {
                assertThat(hv.get(g).get("generation").asInt()).isEqualTo(g);
                assertThat(hv.get(g).get("hypervolume").asDouble()).isEqualTo(fronts.get(g).hypervolume());
                assertThat(hv.get(g).get("front_size").asInt()).isEqualTo(fronts.get(g).members().size());
            }
            assertThat(hv.get(2).get("hypervolume").asDouble()).isPositive();
        }
    }

    @Test
    void everyFrontMemberDownloadsAsItsParetoYamlAndNothingElseIsServed() throws Exception {
        try (DashboardServer s = new DashboardServer(storage, "127.0.0.1", 0)) {
            s.start();
            for (ParetoStore.CandidateId id : front.members()) {
                var r = get(s, "/api/runs/run/pareto/" + name(id) + ".yaml");
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo(Files.readString(storage.resolve("pareto/" + name(id) + ".yaml")));
                assertThat(r.headers().firstValue("Content-Disposition").orElseThrow()).contains(name(id) + ".yaml");
            }
            // a candidate that is not on the front, the index file, and paths out of the folder: not found
            String notMember = null;
            for (int g = 0; g <= 2 && notMember == null; g++) {
                for (int i = 0; i < 6; i++) {
                    if (!front.members().contains(new ParetoStore.CandidateId(g, i))) {
                        notMember = "g" + g + "-c" + i;
                        break;
                    }
                }
            }
            assertThat(get(s, "/api/runs/run/pareto/" + notMember + ".yaml").statusCode()).isEqualTo(404);
            assertThat(get(s, "/api/runs/run/pareto/pareto.json").statusCode()).isEqualTo(404);
            assertThat(raw(s, "/api/runs/run/pareto/..%2Frun.db.yaml")).startsWith("HTTP/1.1 404");
            assertThat(raw(s, "/api/runs/run/pareto/../../run.db")).startsWith("HTTP/1.1 404");
        }
    }

    @Test
    void theBrowserShowsTheScatterTheFrontTableAndTheHypervolume() throws Exception {
        try (DashboardServer s = new DashboardServer(storage, "127.0.0.1", 0)) {
            s.start();
            String dom;
            Path shot = Path.of("target", "dashboard-pareto.png").toAbsolutePath();
            Files.createDirectories(shot.getParent());
            Files.deleteIfExists(shot);
            try (HeadlessChromium.Tab tab = BROWSER.get(dir.resolve("chromium")).open(s.uri().toString())) {
                dom = tab.dom();
                tab.screenshot(shot);
            }
            assertThat(dom).contains("data-ready=\"run\"");
            assertThat(dom).doesNotContain("id=\"pareto\" hidden");
            int members = front.members().size();
            // the scatter: the front's members, then every other scored candidate; first two objectives by default
            assertThat(attr(dom, "pareto-chart", "data-points")).isEqualTo(members + "," + (points - members));
            assertThat(attr(dom, "pareto-chart", "data-axes")).isEqualTo("0,1");
            // three objectives: the pair is chosen with two selectors of three options each
            assertThat(dom).doesNotContain("id=\"pareto-axes\" class=\"muted\" hidden");
            assertThat(Pattern.compile("<option value=\"\\d\"").matcher(dom).results().count()).isEqualTo(6);
            assertThat(dom).contains(">params (min)</option>");
            assertThat(attr(dom, "hv-chart", "data-points")).isEqualTo("3");
            assertThat(attr(dom, "front", "data-rows")).isEqualTo(String.valueOf(members));
            for (ParetoStore.CandidateId id : front.members()) {
                assertThat(dom).contains("href=\"/api/runs/run/pareto/" + name(id) + ".yaml\"");
            }
            List<String> hv = new ArrayList<>();
            for (ParetoStore.Front f : fronts) {
                hv.add(String.format(Locale.ROOT, "<td>%d</td><td>%.6f</td><td>%d</td>", f.generation(), f.hypervolume(),
                        f.members().size()));
            }
            assertThat(dom).contains(hv);
            // the single-objective charts are still there
            assertThat(attr(dom, "fitness-chart", "data-series")).isEqualTo("3");
            assertThat(Files.size(shot)).isGreaterThan(20_000);
        }
    }

    @Test
    void theReportHasTheScatterTheFrontAndTheHypervolume(@TempDir Path out) throws Exception {
        RunSummary summary;
        try (RunStore s = RunStore.openReadOnly(storage)) {
            summary = RunSummary.read("run", s);
        }
        ReportWriter.write(summary, out);
        java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(out.resolve("pareto.png").toFile());
        assertThat(img.getWidth()).isEqualTo(900);
        String html = Files.readString(out.resolve("report.html"));
        String md = Files.readString(out.resolve("summary.md"));
        assertThat(html).contains("<h2>Pareto front</h2>").contains("<th>params (min)</th>");
        assertThat(md).contains("![pareto front](pareto.png)");
        for (ParetoStore.CandidateId id : front.members()) {
            assertThat(html).contains("<tr><td>" + name(id) + "</td><td>pareto/" + name(id) + ".yaml</td>");
            assertThat(md).contains("| " + name(id) + " | pareto/" + name(id) + ".yaml |");
        }
        for (ParetoStore.Front f : fronts) {
            String hv = String.format(Locale.ROOT, "%.6g", f.hypervolume());
            assertThat(html).contains("<tr><td>" + f.generation() + "</td><td>" + hv + "</td><td>" + f.members().size() + "</td></tr>");
            assertThat(md).contains("| " + f.generation() + " | " + hv + " | " + f.members().size() + " |");
        }
    }

    @Test
    void aSingleObjectiveRunHasNoParetoPart(@TempDir Path other) throws Exception {
        Path run = other.resolve("single");
        RunFixtures.write(run);
        try (DashboardServer s = new DashboardServer(run, "127.0.0.1", 0)) {
            s.start();
            assertThat(JSON.readTree(get(s, "/api/runs/single/summary").body()).has("pareto")).isFalse();
            assertThat(get(s, "/api/runs/single/pareto/g0-c0.yaml").statusCode()).isEqualTo(404);
            String dom;
            try (HeadlessChromium.Tab tab = BROWSER.get(dir.resolve("chromium")).open(s.uri().toString())) {
                dom = tab.dom();
            }
            assertThat(dom).contains("data-ready=\"run\"").contains("id=\"pareto\" hidden");
        }
        RunSummary summary;
        try (RunStore s = RunStore.openReadOnly(run)) {
            summary = RunSummary.read("single", s);
        }
        ReportWriter.write(summary, other.resolve("report"));
        assertThat(other.resolve("report/pareto.png")).doesNotExist();
        assertThat(Files.readString(other.resolve("report/report.html"))).doesNotContain("Pareto");
    }
}
