package dev.evomerge.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import dev.evomerge.evolve.store.FitnessStore;
import dev.evomerge.evolve.store.RunStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** The dashboard's fitness view: labels of an estimated run, and an older run without the fitness tables. */
class FitnessViewTest {

    @Test
    void aRunWithoutFitnessTablesHasNoLabels(@TempDir Path dir) throws Exception {
        RunFixtures.write(dir);
        try (DashboardServer s = new DashboardServer(dir, "127.0.0.1", 0)) {
            s.start();
            String name = DashboardServerTest.JSON.readTree(DashboardServerTest.get(s, "/api/runs").body())
                    .get(0).get("name").asText();
            JsonNode f = DashboardServerTest.JSON.readTree(
                    DashboardServerTest.get(s, "/api/runs/" + name + "/fitness").body());
            assertThat(f.get("candidates")).isEmpty();
            assertThat(f.get("tokens_scored").asLong()).isZero();
        }
    }

    @Test
    void estimatesAreServedBesideTheWholeTaskFitnessAndTheTokens(@TempDir Path dir) {
        RunFixtures.write(dir);
        try (RunStore store = RunStore.open(dir)) {
            FitnessStore f = FitnessStore.of(store);
            f.recordCandidate(0, 0, "calibration", null, 0.5, 1000L);
            f.recordCandidate(1, 0, "irt", 0.61, null, 100L);
            f.recordFullScore(1, 0, 0.58, 1000L);
            f.recordCalibration(new FitnessStore.CalibrationRow(FitnessStore.INPUT_MODEL_PREFIX + "a", "mc_task/acc,none",
                    new TreeMap<>(java.util.Map.of(0, 1.0)), 900L));
        }
        JsonNode view = FitnessView.json(dir);
        assertThat(view.get("tokens_scored").asLong()).isEqualTo(1000 + 100 + 1000 + 900);
        JsonNode irt = view.get("candidates").get(1);
        assertThat(irt.get("method").asText()).isEqualTo("irt");
        assertThat(irt.get("estimate").asDouble()).isEqualTo(0.61);
        assertThat(irt.get("full").asDouble()).isEqualTo(0.58);
        assertThat(view.get("candidates").get(0).get("estimate").isNull()).isTrue();
    }
}
