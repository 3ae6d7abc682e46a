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
    private final List<String> paths = new ArrayList<>();
    private List<String> models = List.of("gpt-4o");
    private int modelsStatus = 200;
    private String requiredKey;
    private Integer contextTokens;
    private final List<Integer> promptSizes = new ArrayList<>();
    private long promptTotal;
    private long completionTotal;

    public ScriptedOpenAiServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/chat/completions", this::handle);
        server.createContext("/v1/models", this::handleModels);
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

    /**
     * GET /v1/models answers {@code status} listing {@code ids} (default: 200 with gpt-4o); while the listing answers
     * 200, a chat request for a model it lacks gets a 404, as from OpenAI.
     */
    public synchronized ScriptedOpenAiServer models(int status, String... ids) {
        this.modelsStatus = status;
        this.models = List.of(ids);
        return this;
    }

    /**
     * Every request without "Bearer {@code key}" gets a 401 whose body echoes the Authorization header it got, as some
     * servers do (the client must not store or show it).
     */
    public synchronized ScriptedOpenAiServer requireKey(String key) {
        this.requiredKey = key;
        return this;
    }

    /**
     * Counts tokens as a real server does and reports them in {@code usage}: a message's content takes one token per
     * three characters (rounded up) plus three for its role markers, a reply one per three characters. A prompt over
     * {@code tokens} gets OpenAI's 400 {@code context_length_exceeded}.
     */
    public synchronized ScriptedOpenAiServer enforceContext(int tokens) {
        this.contextTokens = tokens;
        return this;
    }

    /** The tokens of a prompt as counted under {@link #enforceContext(int)}. */
    public static int tokens(JsonNode request) {
        int n = 0;
        for (JsonNode m : request.path("messages")) {
            n += (m.path("content").asText().length() + 2) / 3 + 3;
        }
        return n;
    }

    /** The prompt tokens of every chat request, in order, refused ones included. */
    public synchronized List<Integer> promptSizes() {
        return List.copyOf(promptSizes);
    }

    /** The prompt and completion tokens reported in {@code usage}, summed over the answered requests. */
    public synchronized long[] usageTotals() {
        return new long[] {promptTotal, completionTotal};
    }

    /** The path and query of every request, in order (chat and model listing). */
    public synchronized List<String> paths() {
        return List.copyOf(paths);
    }

    private synchronized Reply refused(HttpExchange ex) {
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (requiredKey == null || ("Bearer " + requiredKey).equals(auth)) {
            return null;
        }
        return Reply.error(401, "Incorrect API key provided in header 'Authorization: " + auth + "'.", Map.of());
    }

    private void handleModels(HttpExchange ex) throws IOException {
        Reply r;
        synchronized (this) {
            paths.add(ex.getRequestURI().toString());
            authorizations.add(ex.getRequestHeaders().getFirst("Authorization"));
            r = refused(ex);
            if (r == null) {
                var data = MAPPER.createArrayNode();
                models.forEach(id -> data.addObject().put("id", id).put("object", "model"));
                r = modelsStatus == 200
                        ? new Reply(200, Map.of("Content-Type", "application/json"),
                                MAPPER.createObjectNode().put("object", "list").set("data", data).toString(), 0)
                        : Reply.error(modelsStatus, "no model listing here", Map.of());
            }
        }
        send(ex, r);
    }

    private void handle(HttpExchange ex) throws IOException {
        Reply r;
        synchronized (this) {
            requests.add(MAPPER.readTree(ex.getRequestBody().readAllBytes()));
            authorizations.add(ex.getRequestHeaders().getFirst("Authorization"));
            paths.add(ex.getRequestURI().toString());
            r = refused(ex);
            String asked = requests.getLast().path("model").asText();
            if (r == null && modelsStatus == 200 && !models.contains(asked)) {
                // as OpenAI and vLLM answer a model they do not serve
                r = Reply.error(404, "The model `" + asked + "` does not exist or you do not have access to it.", Map.of());
            }
            if (r == null) {
                r = script.poll();
            }
        }
        JsonNode asked;
        Integer limit;
        synchronized (this) {
            asked = requests.getLast();
            limit = contextTokens;
        }
        if (r == null && limit != null && tokens(asked) > limit) {
            r = new Reply(400, Map.of("Content-Type", "application/json"), MAPPER.createObjectNode().set("error",
                    MAPPER.createObjectNode().put("message", "This model's maximum context length is " + limit
                            + " tokens. However, your messages resulted in " + tokens(asked) + " tokens. Please reduce"
                            + " the length of the messages.").put("type", "invalid_request_error").put("param", "messages")
                            .put("code", "context_length_exceeded")).toString(), 0);
        }
        if (r == null) {
            r = fallback != null ? fallback.apply(asked) : Reply.error(500, "script exhausted", Map.of());
        }
        if (limit != null) {
            r = withUsage(asked, r);
        }
        send(ex, r);
    }

    /** A 200 chat answer with {@code usage} counted as {@link #enforceContext(int)} says, and the sizes recorded. */
    private synchronized Reply withUsage(JsonNode asked, Reply r) throws IOException {
        int prompt = tokens(asked);
        promptSizes.add(prompt);
        if (r.status() != 200) {
            return r;
        }
        var body = (com.fasterxml.jackson.databind.node.ObjectNode) MAPPER.readTree(r.body());
        int completion = (body.at("/choices/0/message/content").asText().length() + 2) / 3;
        body.putObject("usage").put("prompt_tokens", prompt).put("completion_tokens", completion)
                .put("total_tokens", prompt + completion);
        promptTotal += prompt;
        completionTotal += completion;
        return new Reply(200, r.headers(), body.toString(), r.delayMillis());
    }

    private static void send(HttpExchange ex, Reply r) throws IOException {
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
