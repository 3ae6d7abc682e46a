package dev.evomerge.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.TestCandidates;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.store.RunBeforeTypedResults;
import dev.evomerge.evolve.store.RunStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class DashboardServerTest {

    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();

    static HttpResponse<String> get(DashboardServer s, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(s.uri().resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A raw request line, so paths with ../ reach the server unnormalised. */
    static String raw(DashboardServer s, String path) throws IOException {
        try (Socket sock = new Socket(s.uri().getHost(), s.uri().getPort())) {
            sock.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            return new String(sock.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static String sha(Path p) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    }

    @Test
    void apiServesTheRunSummaryAndCandidates(@TempDir Path dir) throws Exception {
        int n = RunFixtures.write(dir);
        try (DashboardServer s = new DashboardServer(dir, "127.0.0.1", 0)) {
            s.start();
            assertThat(s.uri().getHost()).isEqualTo("127.0.0.1");
            JsonNode runs = JSON.readTree(get(s, "/api/runs").body());
            assertThat(runs).hasSize(1);
            String name = runs.get(0).get("name").asText();
            JsonNode sum = JSON.readTree(get(s, "/api/runs/" + name + "/summary").body());
            assertThat(sum.get("candidate_count").asInt()).isEqualTo(n);
            assertThat(sum.get("generations")).hasSize(4);
            assertThat(sum.get("generations").get(1).get("failed").asInt()).isEqualTo(1);
            assertThat(sum.get("task_metrics").size()).isEqualTo(2);
            assertThat(sum.get("thoughts")).hasSize(6);
            assertThat(sum.get("thoughts").get(4).get("fallback").asBoolean()).isTrue();
            assertThat(sum.get("thoughts").get(4).get("kind").asText()).isEqualTo("fallback");
            assertThat(sum.get("thoughts").get(5).get("kind").asText()).isEqualTo("retry");
            assertThat(sum.get("thoughts").get(5).get("http_status").asInt()).isEqualTo(429);
            assertThat(sum.get("llm")).isEqualTo(JSON.readTree(
                    "{\"requests\": 5, \"retries\": 1, \"corrections\": 0, \"errors\": 0, \"fallbacks\": 1,"
                            + " \"prompt_tokens\": 10000, \"completion_tokens\": 200, \"tokens_estimated\": false,"
                            + " \"price_per_mtok\": {\"in\": 2.5, \"out\": 10.0}, \"estimated_cost\": 0.027}"));
            assertThat(sum.get("thoughts").get(3).get("prompt_tokens").asInt()).isEqualTo(4000);
            assertThat(sum.get("thoughts").get(3).get("completion_tokens").asInt()).isEqualTo(50);
            // best_so_far never decreases and ends at the best candidate's score
            double prev = Double.NEGATIVE_INFINITY;
            for (JsonNode g : sum.get("generations")) {
                assertThat(g.get("best_so_far").asDouble()).isGreaterThanOrEqualTo(prev);
                prev = g.get("best_so_far").asDouble();
            }
            assertThat(sum.get("best").get("score").asDouble()).isEqualTo(prev);
            assertThat(JSON.readTree(get(s, "/api/runs/" + name + "/candidates").body())).hasSize(n);
            HttpResponse<String> yaml = get(s, "/api/runs/" + name + "/best_config.yaml");
            assertThat(yaml.statusCode()).isEqualTo(200);
            assertThat(yaml.headers().firstValue("Content-Disposition")).hasValueSatisfying(v -> assertThat(v).contains("best_config.yaml"));
            assertThat(yaml.body()).startsWith("merge_method: task_arithmetic");
            assertThat(get(s, "/vendor/chart.umd.js").body()).contains("Chart");
        }
    }

    @Test
    void aRunStoredBeforeTheTypedResultsShowsAsItWasStored(@TempDir Path dir) throws Exception {
        Path run = RunBeforeTypedResults.copyTo(dir.resolve("old"));
        try (DashboardServer s = new DashboardServer(run, "127.0.0.1", 0)) {
            s.start();
            JsonNode sum = JSON.readTree(get(s, "/api/runs/old/summary").body());
            assertThat(sum.get("candidate_count").asInt()).isEqualTo(RunBeforeTypedResults.CANDIDATES);
            assertThat(sum.get("generations")).isEqualTo(JSON.readTree("""
                    [{"generation": 0, "candidates": 8, "failed": 8, "best": null, "mean": null, "best_so_far": null},
                     {"generation": 1, "candidates": 8, "failed": 3, "best": 0.6145833333333334, "mean": 0.4645833333333334,
                      "best_so_far": 0.6145833333333334},
                     {"generation": 2, "candidates": 8, "failed": 3, "best": 0.8020833333333334, "mean": 0.5916666666666667,
                      "best_so_far": 0.8020833333333334}]"""));
            // the layout as the run stored it, field for field and in the same order
            assertThat(JSON.writeValueAsString(sum.get("layout"))).isEqualTo(RunBeforeTypedResults.LAYOUT_JSON);
            assertThat(sum.get("task_metrics").fieldNames()).toIterable()
                    .containsExactly("hidden_recipe_mc/acc,none", "hidden_recipe_mc/acc_norm,none");
            assertThat(sum.get("best").get("metrics")).isEqualTo(JSON.readTree(
                    "{\"hidden_recipe_mc/acc,none\": 0.8020833333333334, \"hidden_recipe_mc/acc_norm,none\": 0.5208333333333334}"));
            JsonNode candidates = JSON.readTree(get(s, "/api/runs/old/candidates").body());
            assertThat(candidates).hasSize(RunBeforeTypedResults.CANDIDATES);
            assertThat(candidates.get(0).get("status").asText()).isEqualTo("failed");
            assertThat(candidates.get(0).get("error").asText()).isEqualTo("evaluation timed out after 1 s (--timeout 1)");
            assertThat(candidates.get(0).get("score").isNull()).isTrue();
            assertThat(get(s, "/api/runs/old/best_config.yaml").body()).isEqualTo(RunBeforeTypedResults.text("best_config.yaml"));
        }
    }

    @Test
    void aRealLlmRunShowsItsCountersAndTheKindOfEveryExchange(@TempDir Path dir) throws Exception {
        Path storage = dir.resolve("run");
        RealRun.write(dir.resolve("work"), storage);
        try (DashboardServer s = new DashboardServer(storage, "127.0.0.1", 0)) {
            s.start();
            String name = JSON.readTree(get(s, "/api/runs").body()).get(0).get("name").asText();
            JsonNode sum = JSON.readTree(get(s, "/api/runs/" + name + "/summary").body());
            // two usable replies; then three unusable ones, each corrected, and a fallback
            JsonNode llm = sum.get("llm");
            assertThat(List.of(llm.get("requests").asInt(), llm.get("retries").asInt(), llm.get("corrections").asInt(),
                    llm.get("errors").asInt(), llm.get("fallbacks").asInt())).containsExactly(5, 0, 3, 0, 1);
            // the scripted server reports no usage: the counts are estimates, and say so
            assertThat(llm.get("tokens_estimated").asBoolean()).isTrue();
            assertThat(llm.get("prompt_tokens").asLong()).isGreaterThan(llm.get("completion_tokens").asLong());
            assertThat(llm.get("completion_tokens").asLong()).isPositive();
            assertThat(llm.has("estimated_cost")).isFalse();
            assertThat(sum.get("thoughts")).extracting(t -> t.get("kind").asText())
                    .containsExactly("reply", "reply", "correction", "correction", "correction", "fallback");
        }
    }

    @Test
    void staticRoutesRefusePathTraversalAndWrites(@TempDir Path dir) throws Exception {
        RunFixtures.write(dir);
        Files.writeString(dir.resolve("secret.txt"), "top secret");
        try (DashboardServer s = new DashboardServer(dir, "127.0.0.1", 0)) {
            s.start();
            for (String p : new String[] {"/static/../secret.txt", "/static/%2e%2e/secret.txt", "/../../etc/passwd",
                    "/static/..%2f..%2fetc%2fpasswd", "/api/runs/..%2fsecret.txt/summary", "/vendor/../secret.txt", "/run.db"}) {
                String resp = raw(s, p);
                assertThat(resp).as(p).startsWith("HTTP/1.1 404").doesNotContain("top secret").doesNotContain("root:");
            }
            HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(s.uri().resolve("/api/runs"))
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).isEqualTo(405);
        }
    }

    @Test
    void neverWritesToRunDbAndWorksWhileARunHoldsIt(@TempDir Path dir) throws Exception {
        RunFixtures.write(dir);
        try (RunStore writer = RunStore.open(dir); DashboardServer s = new DashboardServer(dir, "127.0.0.1", 0)) {
            s.start();
            String name = JSON.readTree(get(s, "/api/runs").body()).get(0).get("name").asText();
            writer.recordCandidate(new Evaluation(TestCandidates.of(4, 0, 0.1, 0.2, 0.3, 0.4), 0.5, Map.of(),
                    null, 0, 0, "w"));
            String before = sha(dir.resolve("run.db"));
            long walBefore = Files.size(dir.resolve("run.db-wal"));
            for (int i = 0; i < 5; i++) {
                JsonNode sum = JSON.readTree(get(s, "/api/runs/" + name + "/summary").body());
                assertThat(sum.get("candidate_count").asInt()).isEqualTo(25); // sees the running writer's new row
            }
            assertThat(sha(dir.resolve("run.db"))).isEqualTo(before);
            assertThat(Files.size(dir.resolve("run.db-wal"))).isEqualTo(walBefore);
        }
    }

    @Test
    void aFolderOfRunsIsListed(@TempDir Path dir) throws Exception {
        RunFixtures.write(dir.resolve("run-a"));
        RunFixtures.write(dir.resolve("run-b"));
        Files.createDirectories(dir.resolve("not-a-run"));
        try (DashboardServer s = new DashboardServer(dir, "127.0.0.1", 0)) {
            s.start();
            JsonNode runs = JSON.readTree(get(s, "/api/runs").body());
            assertThat(runs).extracting(r -> r.get("name").asText()).containsExactly("run-a", "run-b");
            assertThat(get(s, "/api/runs/run-c/summary").statusCode()).isEqualTo(404);
        }
    }

    @Test
    void anEmptyOrCorruptRunDbIsListedAsUnreadableWithTheOthers(@TempDir Path dir) throws Exception {
        int n = RunFixtures.write(dir.resolve("run-a"));
        Files.createDirectories(dir.resolve("run-empty"));
        Files.createFile(dir.resolve("run-empty/run.db"));
        Files.createDirectories(dir.resolve("run-garbage"));
        byte[] junk = new byte[8192];
        new java.util.Random(7).nextBytes(junk);
        Files.write(dir.resolve("run-garbage/run.db"), junk);
        // a real SQLite file whose pages were overwritten after the header: SQLite itself reports it
        RunFixtures.write(dir.resolve("run-torn"));
        Path torn = dir.resolve("run-torn/run.db");
        try (var ch = java.nio.channels.FileChannel.open(torn, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(junk), 100);
        }
        try (DashboardServer s = new DashboardServer(dir, "127.0.0.1", 0)) {
            s.start();
            HttpResponse<String> list = get(s, "/api/runs");
            assertThat(list.statusCode()).isEqualTo(200);
            JsonNode runs = JSON.readTree(list.body());
            assertThat(runs).extracting(r -> r.get("name").asText())
                    .containsExactly("run-a", "run-empty", "run-garbage", "run-torn");
            assertThat(runs.get(0).get("status").asText()).isNotEqualTo("unreadable");
            assertThat(runs.get(0).get("candidates").asInt()).isEqualTo(n);
            assertThat(runs.get(1).get("status").asText()).isEqualTo("unreadable");
            assertThat(runs.get(1).get("error").asText()).contains("run-empty").contains("the file is empty");
            assertThat(runs.get(2).get("status").asText()).isEqualTo("unreadable");
            assertThat(runs.get(2).get("error").asText()).contains("run-garbage")
                    .contains("not a readable SQLite database");
            assertThat(runs.get(3).get("status").asText()).isEqualTo("unreadable");
            assertThat(runs.get(3).get("error").asText()).contains("run-torn");

            // the run itself answers a complete JSON error, not an empty reply
            HttpResponse<String> summary = get(s, "/api/runs/run-empty/summary");
            assertThat(summary.statusCode()).isEqualTo(500);
            assertThat(JSON.readTree(summary.body()).get("error").asText()).contains("the file is empty");
            assertThat(get(s, "/api/runs/run-a/summary").statusCode()).isEqualTo(200);
        }
    }
}
