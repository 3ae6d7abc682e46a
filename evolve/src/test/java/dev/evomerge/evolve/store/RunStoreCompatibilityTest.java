package dev.evomerge.evolve.store;

import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.MetricKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A run.db written before the typed results reads as it was, and writing what was read gives the same rows. */
class RunStoreCompatibilityTest {

    static final MetricKey ACC = new MetricKey(RunBeforeTypedResults.TASK, "acc,none");
    static final MetricKey ACC_NORM = new MetricKey(RunBeforeTypedResults.TASK, "acc_norm,none");

    @Test
    void candidatesOfAnEarlierRunReadWithTypedMetricKeys(@TempDir Path dir) {
        Path run = RunBeforeTypedResults.copyTo(dir.resolve("run"));
        try (RunStore s = RunStore.openReadOnly(run)) {
            List<Evaluation> all = s.allCandidates();
            assertThat(all).hasSize(RunBeforeTypedResults.CANDIDATES);
            assertThat(all.stream().filter(e -> !e.ok()).count()).isEqualTo(RunBeforeTypedResults.FAILED);
            Evaluation best = Evaluation.best(all);
            assertThat(best.candidate().generation()).isEqualTo(2);
            assertThat(best.candidate().index()).isEqualTo(7);
            assertThat(best.score()).isEqualTo(0.8020833333333334);
            assertThat(best.metrics()).containsExactly(Map.entry(ACC, 0.8020833333333334), Map.entry(ACC_NORM, 0.5208333333333334));
            assertThat(best.candidate().mergeYaml()).isEqualTo(RunBeforeTypedResults.text("best_config.yaml"));
            assertThat(best.worker()).isEqualTo("local-0");
            Evaluation failed = s.candidates(0).get(0);
            assertThat(failed.ok()).isFalse();
            assertThat(failed.score()).isEqualTo(Double.NEGATIVE_INFINITY);
            assertThat(failed.error()).isEqualTo("evaluation timed out after 1 s (--timeout 1)");
            assertThat(failed.metrics()).isEmpty();
        }
    }

    @Test
    void theStoredLayoutReadsAsATypeAndWritesBackToTheSameText(@TempDir Path dir) {
        Path run = RunBeforeTypedResults.copyTo(dir.resolve("run"));
        StoredLayout layout;
        try (RunStore s = RunStore.openReadOnly(run)) {
            assertThat(s.meta(RunMeta.LAYOUT)).contains(RunBeforeTypedResults.LAYOUT_JSON);
            layout = s.layout().orElseThrow();
        }
        assertThat(layout.method()).isEqualTo("task_arithmetic");
        assertThat(layout.dimensions()).containsExactly(2, 2, 1, 1);
        assertThat(layout.model(1)).isEqualTo("/tmp/results-demo/w/models/finetune-b");
        assertThat(layout.layerRanges()).containsExactly(List.of(0, 2), List.of(2, 4));
        assertThat(layout.geneLayout().index(1, 0, 0, 0)).isEqualTo(2);
        try (RunStore s = RunStore.open(dir.resolve("copy"))) {
            s.putLayout(layout);
            assertThat(s.meta(RunMeta.LAYOUT)).contains(RunBeforeTypedResults.LAYOUT_JSON);
        }
    }

    @Test
    void aLayoutThatIsNotJsonIsNoLayout(@TempDir Path dir) {
        try (RunStore s = RunStore.open(dir)) {
            s.putMeta(RunMeta.LAYOUT, "not json");
            assertThat(s.layout()).isEmpty();
        }
    }

    @Test
    void recordingTheCandidatesReadFromAnEarlierRunWritesTheSameRows(@TempDir Path dir) throws Exception {
        Path run = RunBeforeTypedResults.copyTo(dir.resolve("run"));
        Path copy = dir.resolve("copy");
        try (RunStore old = RunStore.openReadOnly(run); RunStore fresh = RunStore.open(copy)) {
            old.allCandidates().forEach(fresh::recordCandidate);
        }
        List<String> before = rows(run);
        assertThat(before).hasSize(RunBeforeTypedResults.CANDIDATES);
        assertThat(rows(copy)).containsExactlyElementsOf(before);
    }

    /** Every stored column but the time of writing, as text, by generation and index. */
    static List<String> rows(Path storage) throws Exception {
        List<String> out = new ArrayList<>();
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + storage.resolve(RunStore.FILE_NAME));
             ResultSet rs = c.createStatement().executeQuery("SELECT generation, idx, genes, merge_yaml, quote(score), metrics,"
                     + " status, error, quote(merge_seconds), quote(eval_seconds), worker FROM candidates ORDER BY generation, idx")) {
            while (rs.next()) {
                StringBuilder row = new StringBuilder();
                for (int i = 1; i <= 11; i++) {
                    row.append(rs.getString(i)).append(" | ");
                }
                out.add(row.toString());
            }
        }
        return out;
    }
}
