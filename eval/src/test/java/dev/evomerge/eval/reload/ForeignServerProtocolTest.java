package dev.evomerge.eval.reload;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.evomerge.core.EvomergeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The requests the sglang and vllm protocols send, checked against HTTP servers on 127.0.0.1 that answer as those
 * servers' documented routes do (vLLM and SGLang need GPUs, so they are not run here): the exact paths, bodies and the
 * answers each protocol reads, and the detection of both kinds.
 */
class ForeignServerProtocolTest {

    /** A recorded request: method, path, body and Authorization header. */
    record Seen(String method, String path, String body, String authorization) {
    }

    /** An HTTP server answering fixed JSON per "METHOD PATH", recording what it is asked. */
    static final class ScriptedServer implements AutoCloseable {
        final HttpServer http;
        final List<Seen> seen = new CopyOnWriteArrayList<>();

        ScriptedServer(Map<String, Reply> routes) throws IOException {
            http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
            http.createContext("/", ex -> answer(ex, routes));
            http.start();
        }

        private void answer(HttpExchange ex, Map<String, Reply> routes) throws IOException {
            try (ex) {
                String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                seen.add(new Seen(ex.getRequestMethod(), ex.getRequestURI().getPath(), body,
                        ex.getRequestHeaders().getFirst("Authorization")));
                Reply r = routes.getOrDefault(ex.getRequestMethod() + " " + ex.getRequestURI().getPath(),
                        new Reply(404, "{\"detail\":\"Not Found\"}"));
                byte[] bytes = r.body().getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", "application/json");
                ex.sendResponseHeaders(r.status(), bytes.length == 0 ? -1 : bytes.length);
                if (bytes.length > 0) {
                    try (OutputStream out = ex.getResponseBody()) {
                        out.write(bytes);
                    }
                }
            }
        }

        ServerEndpoint endpoint() {
            return ServerEndpoint.parse("http://127.0.0.1:" + http.getAddress().getPort(), "--eval-server",
                    Optional.of("secret"));
        }

        @Override
        public void close() {
            http.stop(0);
        }
    }

    record Reply(int status, String body) {
    }

    static String models(String owner, String root) {
        return "{\"object\":\"list\",\"data\":[{\"id\":\"m7\",\"object\":\"model\",\"owned_by\":\"" + owner + "\""
                + (root == null ? "" : ",\"root\":\"" + root + "\"") + ",\"max_model_len\":4096}]}";
    }

    @Test
    void sglangIsDetectedAndGetsUpdateWeightsFromDiskWithTheModelPath(@TempDir Path dir) throws Exception {
        Path candidate = dir.resolve("cand");
        try (ScriptedServer s = new ScriptedServer(Map.of(
                "GET /v1/models", new Reply(200, models("sglang", null)),
                "GET /get_model_info", new Reply(200, "{\"model_path\":\"/models/base\",\"is_generation\":true}"),
                "POST /update_weights_from_disk", new Reply(200, "{\"success\":true,\"message\":\"Succeeded to"
                        + " update model weights.\",\"num_paused_requests\":0}")))) {
            ServerInfo info = ServerInfo.query(s.endpoint());
            assertThat(info.kind()).isEqualTo(ServerKind.SGLANG);
            assertThat(info.modelPath()).contains(Path.of("/models/base"));
            assertThat(info.contextLength()).hasValue(4096);
            ReloadProtocol protocol = ReloadProtocols.choose(Optional.empty(), s.endpoint());
            assertThat(protocol.name()).isEqualTo("sglang");
            ReloadOutcome outcome = protocol.reload(s.endpoint(), candidate);
            assertThat(outcome.kind()).isEqualTo(ReloadOutcome.Kind.LOADED);
            assertThat(outcome.message()).isEqualTo("The server at " + s.endpoint() + " loaded " + candidate
                    + ": Succeeded to update model weights.");
            Seen update = s.seen.getLast();
            assertThat(update.path()).isEqualTo("/update_weights_from_disk");
            JsonNode body = ServerHttp.JSON.readTree(update.body());
            assertThat(body.get("model_path").asText()).isEqualTo(candidate.toAbsolutePath().toString());
            assertThat(body.size()).isEqualTo(1);
        }
    }

    @Test
    void anSglangRefusalAndAnSglangFailureAreToldApart(@TempDir Path dir) throws Exception {
        try (ScriptedServer s = new ScriptedServer(Map.of(
                "POST /update_weights_from_disk", new Reply(400, "{\"success\":false,\"message\":\"Failed to get"
                        + " weights iterator: shape mismatch.\"}")))) {
            ReloadOutcome outcome = ReloadProtocols.sglang().reload(s.endpoint(), dir);
            assertThat(outcome.kind()).isEqualTo(ReloadOutcome.Kind.REFUSED);
            assertThat(outcome.message()).endsWith("keeps its previous weights: Failed to get weights iterator:"
                    + " shape mismatch.");
        }
        try (ScriptedServer s = new ScriptedServer(Map.of(
                "POST /update_weights_from_disk", new Reply(500, "Internal Server Error")))) {
            ReloadOutcome outcome = ReloadProtocols.sglang().reload(s.endpoint(), dir);
            assertThat(outcome.kind()).isEqualTo(ReloadOutcome.Kind.SERVER_FAILED);
            assertThat(outcome.message()).isEqualTo("The server at " + s.endpoint() + " failed the reload of " + dir
                    + " with HTTP 500: Internal Server Error");
        }
    }

    @Test
    void vllmIsDetectedReloadsFromItsServedDirectoryAndDropsItsPrefixCache(@TempDir Path dir) throws Exception {
        Path served = Files.createDirectories(dir.resolve("served"));
        try (ScriptedServer s = new ScriptedServer(Map.of(
                "GET /v1/models", new Reply(200, models("vllm", served.toString())),
                "POST /collective_rpc", new Reply(200, "{\"results\":[null]}"),
                "POST /reset_prefix_cache", new Reply(200, "")))) {
            ReloadProtocol protocol = ReloadProtocols.choose(Optional.empty(), s.endpoint());
            assertThat(protocol.name()).isEqualTo("vllm");
            assertThat(protocol.requiredModelDirectory(s.endpoint())).contains(served);

            ReloadOutcome elsewhere = protocol.reload(s.endpoint(), dir.resolve("scratch"));
            assertThat(elsewhere.kind()).isEqualTo(ReloadOutcome.Kind.REFUSED);
            assertThat(elsewhere.message()).isEqualTo("The vLLM server at " + s.endpoint() + " reloads only from "
                    + served + ", not from " + dir.resolve("scratch") + ": write the candidate there.");

            s.seen.clear();
            ReloadOutcome outcome = protocol.reload(s.endpoint(), served);
            assertThat(outcome.kind()).as(outcome.message()).isEqualTo(ReloadOutcome.Kind.LOADED);
            assertThat(s.seen.stream().map(x -> x.method() + " " + x.path()).toList()).containsExactly(
                    "GET /v1/models", "POST /collective_rpc", "POST /reset_prefix_cache");
            assertThat(ServerHttp.JSON.readTree(s.seen.get(1).body()))
                    .isEqualTo(ServerHttp.JSON.readTree("{\"method\":\"reload_weights\"}"));
        }
    }

    @Test
    void vllmWithoutDevModeOrALocalDirectoryIsRefusedInOneSentence(@TempDir Path dir) throws Exception {
        Path served = Files.createDirectories(dir.resolve("served"));
        try (ScriptedServer s = new ScriptedServer(Map.of(
                "GET /v1/models", new Reply(200, models("vllm", served.toString()))))) {
            ReloadOutcome outcome = ReloadProtocols.named("vllm").reload(s.endpoint(), served);
            assertThat(outcome.kind()).isEqualTo(ReloadOutcome.Kind.SERVER_FAILED);
            assertThat(outcome.message()).isEqualTo("The vLLM server at " + s.endpoint() + " has no /collective_rpc"
                    + " endpoint (HTTP 404): start it with VLLM_SERVER_DEV_MODE=1.");
        }
        try (ScriptedServer s = new ScriptedServer(Map.of(
                "GET /v1/models", new Reply(200, models("vllm", "meta-llama/Llama-3.1-8B"))))) {
            assertThatThrownBy(() -> ReloadProtocols.named("vllm").requiredModelDirectory(s.endpoint()))
                    .isInstanceOf(EvomergeException.class)
                    .hasMessage("The vLLM server at " + s.endpoint() + " serves 'meta-llama/Llama-3.1-8B', which is"
                            + " not a directory on this machine: vLLM reloads weights only from the directory it was"
                            + " started with, so start it with a local model directory that evomerge can write the"
                            + " candidates to.");
        }
    }

    @Test
    void anUnknownServerNeedsTheOptionAndEveryRequestCarriesTheKey() throws Exception {
        try (ScriptedServer s = new ScriptedServer(Map.of(
                "GET /v1/models", new Reply(200, models("llamacpp", null))))) {
            assertThat(ServerInfo.query(s.endpoint()).kind()).isEqualTo(ServerKind.UNKNOWN);
            assertThatThrownBy(() -> ReloadProtocols.choose(Optional.empty(), s.endpoint()))
                    .hasMessage("Cannot tell which reload protocol the server at " + s.endpoint() + " speaks (GET"
                            + " /v1/models says owned_by 'llamacpp' and GET /get_model_info gives no model_path);"
                            + " pass --eval-server-reload sglang|vllm|evomerge|none.");
            assertThat(ReloadProtocols.choose(Optional.of("none"), s.endpoint()).reloads()).isFalse();
            assertThat(s.seen).extracting(Seen::path).containsExactly("/v1/models", "/get_model_info",
                    "/v1/models", "/get_model_info");
            assertThat(s.seen).extracting(Seen::authorization).containsOnly("Bearer secret");
        }
    }
}
