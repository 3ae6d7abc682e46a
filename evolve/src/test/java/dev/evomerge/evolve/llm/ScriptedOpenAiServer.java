package dev.evomerge.evolve.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;

/**
 * A real HTTP server on 127.0.0.1 that speaks OpenAI's chat-completions protocol and plays scripted replies in order:
 * the stand-in for a hosted LLM API, which cannot exist here.
 */
public final class ScriptedOpenAiServer implements AutoCloseable {

    /** One scripted answer: an HTTP status, headers and body, optionally after a delay (to provoke client timeouts). */
    public record Reply(int status, Map<String, String> headers, String body, long delayMillis) {
        public static Reply content(String assistantText) {
            String body = MAPPER.createObjectNode()
                    .put("id", "chatcmpl-test").put("object", "chat.completion").put("model", "scripted")
                    .set("choices", MAPPER.createArrayNode().add(MAPPER.createObjectNode().put("index", 0)
                            .put("finish_reason", "stop")
                            .set("message", MAPPER.createObjectNode().put("role", "assistant").put("content", assistantText))))
                    .toString();
            return new Reply(200, Map.of("Content-Type", "application/json"), body, 0);
        }

        public static Reply error(int status, String message, Map<String, String> headers) {
            String body = MAPPER.createObjectNode().set("error", MAPPER.createObjectNode()
                    .put("message", message).put("type", "server_error")).toString();
            return new Reply(status, headers, body, 0);
        }

        public Reply delayed(long ms) {
            return new Reply(status, headers, body, ms);
        }
    }

    public static final ObjectMapper MAPPER = new ObjectMapper();

    private final HttpServer server;
    private final Deque<Reply> script = new ArrayDeque<>();
    private java.util.function.Function<JsonNode, Reply> fallback;
    private final List<JsonNode> requests = new ArrayList<>();
    private final List<String> authorizations = new ArrayList<>();

    public ScriptedOpenAiServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/chat/completions", this::handle);
        server.setExecutor(Executors.newCachedThreadPool());
        server.start();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    public synchronized ScriptedOpenAiServer then(Reply r) {
        script.add(r);
        return this;
    }

    public synchronized List<JsonNode> requests() {
        return List.copyOf(requests);
    }

    public synchronized List<String> authorizations() {
        return java.util.Collections.unmodifiableList(new ArrayList<>(authorizations));
    }

    private void handle(HttpExchange ex) throws IOException {
        Reply r;
        synchronized (this) {
            requests.add(MAPPER.readTree(ex.getRequestBody().readAllBytes()));
            authorizations.add(ex.getRequestHeaders().getFirst("Authorization"));
            r = script.poll();
        }
        if (r == null) {
            r = fallback != null ? fallback.apply(requests.getLast()) : Reply.error(500, "script exhausted", Map.of());
        }
        if (r.delayMillis() > 0) {
            try {
                Thread.sleep(r.delayMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        byte[] body = r.body().getBytes(StandardCharsets.UTF_8);
        r.headers().forEach((k, v) -> ex.getResponseHeaders().add(k, v));
        try {
            ex.sendResponseHeaders(r.status(), body.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(body);
            }
        } catch (IOException clientGone) {
            // the client timed out and closed the connection: nothing to answer
        }
    }

    /** Answers requests the script does not cover (e.g. every later generation of a run). */
    public synchronized ScriptedOpenAiServer otherwise(java.util.function.Function<JsonNode, Reply> f) {
        this.fallback = f;
        return this;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
