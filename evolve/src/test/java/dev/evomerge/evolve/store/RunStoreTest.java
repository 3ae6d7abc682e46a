package dev.evomerge.evolve.store;

import dev.evomerge.engine.chat.ChatMessage;
import dev.evomerge.evolve.llm.LlmEvolutionStrategy;
import dev.evomerge.evolve.llm.LlmExchange;
import dev.evomerge.evolve.optimizer.CmaEs;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.TestCandidates;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.MetricKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class RunStoreTest {

    static final MetricKey MC_ACC = new MetricKey("mc", "acc,none");

    @Test
    void candidatesRoundTripIncludingFailures(@TempDir Path dir) {
        try (RunStore s = RunStore.open(dir)) {
            s.recordCandidate(new Evaluation(TestCandidates.of(0, 1, 0.25, 0.5), 0.75,
                    Map.of(MC_ACC, 0.75), null, 1.5, 2.5, "local-0"));
            s.recordCandidate(Evaluation.failed(TestCandidates.of(0, 0, 0.1, 0.9),
                    "merge failed: tensor x missing", 0.1, 0, "local-0"));
        }
        try (RunStore s = RunStore.open(dir)) {
            List<Evaluation> g0 = s.candidates(0);
            assertThat(g0).extracting(e -> e.candidate().index()).containsExactly(0, 1);
            assertThat(g0.get(0).score()).isEqualTo(Double.NEGATIVE_INFINITY);
            assertThat(g0.get(0).ok()).isFalse();
            assertThat(g0.get(0).error()).isEqualTo("merge failed: tensor x missing");
            assertThat(g0.get(1).ok()).isTrue();
            assertThat(g0.get(1).candidate().genes()).containsExactly(0.25, 0.5);
            assertThat(g0.get(1).metrics()).containsEntry(MC_ACC, 0.75);
            assertThat(g0.get(1).candidate().mergeYaml()).isEqualTo(TestCandidates.yaml(0, 1));
            assertThat(g0.get(1).mergeSeconds()).isEqualTo(1.5);
            assertThat(g0.get(1).evalSeconds()).isEqualTo(2.5);
            assertThat(g0.get(1).worker()).isEqualTo("local-0");
            assertThat(s.candidates(1)).isEmpty();
        }
    }

    @Test
    void recordingACandidateAgainReplacesIt(@TempDir Path dir) {
        try (RunStore s = RunStore.open(dir)) {
            s.recordCandidate(new Evaluation(TestCandidates.of(2, 3, 0.5), 0.1, Map.of(), null, 0, 0, "w1"));
            s.recordCandidate(new Evaluation(TestCandidates.of(2, 3, 0.5), 0.2, Map.of(), null, 0, 0, "w2"));
            assertThat(s.allCandidates()).singleElement().satisfies(c -> {
                assertThat(c.score()).isEqualTo(0.2);
                assertThat(c.worker()).isEqualTo("w2");
            });
        }
    }

    @Test
    void optimizerStatesResumeTheOptimizer(@TempDir Path dir) {
        CmaEs es = CmaEs.start(new double[] {0.5, 0.5, 0.5}, 1.0 / 6, 7, 3);
        List<double[]> xs = es.ask();
        es.tell(xs, new double[] {1, 2, 3, 4, 5, 6, 7});
        try (RunStore s = RunStore.open(dir)) {
            s.saveOptimizerState(0, es.name(), es.state());
        }
        try (RunStore s = RunStore.open(dir)) {
            RunStore.SavedState saved = s.latestOptimizerState().orElseThrow();
            assertThat(saved.generation()).isZero();
            assertThat(saved.optimizer()).isEqualTo("cmaes");
            CmaEs resumed = new CmaEs(saved.as(CmaEs.State.class));
            List<double[]> a = es.ask();
            List<double[]> b = resumed.ask();
            for (int k = 0; k < a.size(); k++) {
                assertThat(b.get(k)).containsExactly(a.get(k));
            }
        }
    }

    @Test
    void llmStateAndExchangesRoundTrip(@TempDir Path dir) {
        var settings = new LlmEvolutionStrategy.Settings(new int[] {1, 2, 1, 1}, 4, 5, 0.05, 0.2, 4, 3, 0, false);
        var state = new LlmEvolutionStrategy.State(settings, 2, null, null,
                List.of(ChatMessage.system("sys"), ChatMessage.user("u")), List.of(new double[] {0.1, 0.2}),
                new LlmEvolutionStrategy.Told(List.of(new double[] {0.3, 0.4}, new double[] {0.5, 0.6}),
                        java.util.Arrays.asList(0.75, null), true), new dev.evomerge.evolve.llm.ContextBudget.Learnt(1.4, 900));
        try (RunStore s = RunStore.open(dir)) {
            s.saveOptimizerState(1, "llm", state);
            s.recordExchange(new LlmExchange(1, 2, List.of(ChatMessage.user("u")), "{\"thought\":\"<script>\"}",
                    "<script>", 120, null, false));
            var back = s.latestOptimizerState().orElseThrow().as(LlmEvolutionStrategy.State.class);
            assertThat(back.settings().dimensions()).containsExactly(1, 2, 1, 1);
            assertThat(back.bestFitness()).isNull();
            assertThat(back.history()).containsExactly(ChatMessage.system("sys"), ChatMessage.user("u"));
            assertThat(back.pending().get(0)).containsExactly(0.1, 0.2);
            assertThat(back.told().fitness()).containsExactly(0.75, null); // a failed candidate round-trips as null
            assertThat(back.told().improved()).isTrue();
            assertThat(back.tokens()).isEqualTo(new dev.evomerge.evolve.llm.ContextBudget.Learnt(1.4, 900));
            assertThat(s.exchanges()).singleElement().satisfies(x -> {
                assertThat(x.thought()).isEqualTo("<script>");
                assertThat(x.attempt()).isEqualTo(2);
                assertThat(x.sent()).containsExactly(ChatMessage.user("u"));
            });
        }
    }

    @Test
    void theFileIsWalModeAndReadableByAnotherConnectionWhileOpen(@TempDir Path dir) throws Exception {
        try (RunStore s = RunStore.open(dir)) {
            s.putMeta("status", "running");
            try (var c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("run.db"));
                 ResultSet rs = c.createStatement().executeQuery("PRAGMA journal_mode")) {
                assertThat(rs.getString(1)).isEqualTo("wal");
                ResultSet v = c.createStatement().executeQuery("SELECT value FROM meta WHERE key='status'");
                assertThat(v.getString(1)).isEqualTo("running");
            }
            assertThat(s.meta("status")).contains("running");
            assertThat(s.meta("missing")).isEmpty();
        }
    }

    @Test
    void exchangesKeepTheirKindAndStatusAndRunsStoredBeforeKindsStillRead(@TempDir Path dir) throws Exception {
        // a run.db as written before kinds and HTTP statuses were stored
        java.nio.file.Files.createDirectories(dir);
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(RunStore.FILE_NAME)); var st = c.createStatement()) {
            st.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
            st.execute("CREATE TABLE candidates (generation INTEGER NOT NULL, idx INTEGER NOT NULL, genes TEXT NOT NULL, "
                    + "merge_yaml TEXT, score REAL, metrics TEXT NOT NULL, status TEXT NOT NULL, error TEXT, merge_seconds REAL, "
                    + "eval_seconds REAL, worker TEXT, created_at TEXT NOT NULL DEFAULT 'then', PRIMARY KEY (generation, idx))");
            st.execute("CREATE TABLE llm_exchanges (id INTEGER PRIMARY KEY AUTOINCREMENT, generation INTEGER NOT NULL, "
                    + "attempt INTEGER NOT NULL, messages TEXT NOT NULL, reply TEXT, thought TEXT, latency_ms INTEGER, error TEXT, "
                    + "fallback INTEGER NOT NULL, created_at TEXT NOT NULL DEFAULT 'then')");
            st.execute("INSERT INTO llm_exchanges(generation, attempt, messages, reply, error, fallback) "
                    + "VALUES (1, 1, '[]', 'not json', 'the reply is not valid JSON.', 0), (1, 2, '[]', NULL, 'gave up', 1)");
        }
        try (RunStore old = RunStore.openReadOnly(dir)) {
            assertThat(old.exchanges()).extracting(LlmExchange::kind).containsExactly(LlmExchange.CORRECTION, LlmExchange.FALLBACK);
        }
        try (RunStore s = RunStore.open(dir)) { // a resumed run adds the columns
            s.recordExchange(new LlmExchange(2, 1, List.of(), null, null, 12, "HTTP 503: busy; retry 1 of 5 in 1.0 s", false,
                    LlmExchange.RETRY, 503));
            assertThat(s.exchanges()).extracting(LlmExchange::kind)
                    .containsExactly(LlmExchange.CORRECTION, LlmExchange.FALLBACK, LlmExchange.RETRY);
            assertThat(s.exchanges()).extracting(LlmExchange::httpStatus).containsExactly(null, null, 503);
            // and the token columns: the old rows have no usage, new ones keep theirs and whether it was estimated
            s.recordExchange(new LlmExchange(2, 2, List.of(), "{}", "t", 9, null, false)
                    .withUsage(new dev.evomerge.evolve.llm.TokenUsage(1234, 56, false)));
            s.recordExchange(new LlmExchange(3, 1, List.of(), "{}", "t", 9, null, false)
                    .withUsage(new dev.evomerge.evolve.llm.TokenUsage(700, 20, true)));
            assertThat(s.exchanges()).extracting(LlmExchange::usage).containsExactly(null, null, null,
                    new dev.evomerge.evolve.llm.TokenUsage(1234, 56, false), new dev.evomerge.evolve.llm.TokenUsage(700, 20, true));
            LlmExchange.Counts c = LlmExchange.Counts.of(s.exchanges());
            assertThat(c.promptTokens()).isEqualTo(1934);
            assertThat(c.completionTokens()).isEqualTo(76);
            assertThat(c.estimatedTokens()).isTrue();
            assertThat(c.tokensText()).isEqualTo("tokens ~1934 in + ~76 out");
        }
    }

    @Test
    void aFinishedRunInAFolderThisProcessCannotWriteIsStillRead(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        try (RunStore s = RunStore.open(run)) {
            s.putMeta("status", "completed");
            s.recordCandidate(new Evaluation(TestCandidates.of(0, 0, 0.5), 0.5, Map.of(), null, 0, 0, "w"));
        }
        // An immutable folder refuses new files even to root: the state of another user's run folder or a read-only mount.
        chattr("+i", run);
        try {
            // a plain read-only connection fails here: SQLite wants to create run.db-shm beside the file
            try (var c = DriverManager.getConnection("jdbc:sqlite:" + run.resolve(RunStore.FILE_NAME));
                 var st = c.createStatement()) {
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> st.executeQuery("SELECT count(*) FROM meta"))
                        .isInstanceOf(org.sqlite.SQLiteException.class).hasMessageContaining("SQLITE_CANTOPEN");
            }
            try (RunStore s = RunStore.openReadOnly(run)) {
                assertThat(s.meta("status")).contains("completed");
                assertThat(s.allCandidates()).hasSize(1);
            }
        } finally {
            chattr("-i", run);
        }
    }

    private static void chattr(String flag, Path p) throws Exception {
        Process chattr = new ProcessBuilder("chattr", flag, p.toString()).redirectErrorStream(true).start();
        String out = new String(chattr.getInputStream().readAllBytes());
        assertThat(chattr.waitFor()).as("chattr %s %s: %s", flag, p, out).isZero();
    }
}
