package dev.evomerge.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import dev.evomerge.evolve.dataflow.SearchPhases;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.MetricKey;
import dev.evomerge.evolve.run.TestCandidates;
import dev.evomerge.evolve.store.RunStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A PS+DFS run's candidates carry their phase in the dashboard's JSON; a plain run's carry none. */
class RunPhasesTest {

    static void record(RunStore s, int generation) {
        s.recordCandidate(new Evaluation(TestCandidates.of(generation, 0, 0.5), 0.25 * (generation + 1),
                Map.of(new MetricKey("t", "acc,none"), 0.5), null, 0, 0, "w"));
    }

    @Test
    void eachCandidateIsLabelledWithTheSearchOfItsGeneration(@TempDir Path dir) {
        try (RunStore s = RunStore.open(dir)) {
            SearchPhases.start(s, "ps", 0);
            record(s, 0);
            record(s, 1);
            SearchPhases.start(s, "dfs", 2);
            record(s, 2);
            record(s, 3);
        }
        try (RunStore s = RunStore.openReadOnly(dir)) {
            JsonNode arr = RunSummary.read("run", s).candidatesJson();
            assertThat(arr).extracting(n -> n.get("generation").asInt() + ":" + n.get("phase").asText())
                    .containsExactly("0:ps", "1:ps", "2:dfs", "3:dfs");
        }
    }

    @Test
    void aRunWithoutPhasesHasNoLabel(@TempDir Path dir) {
        try (RunStore s = RunStore.open(dir)) {
            record(s, 0);
        }
        try (RunStore s = RunStore.openReadOnly(dir)) {
            assertThat(RunSummary.read("run", s).candidatesJson().get(0).has("phase")).isFalse();
        }
    }
}
