package dev.evomerge.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.JsonInput;
import dev.evomerge.core.io.Reasons;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An OpenAI-compatible HTTP server over one model: {@code GET /v1/models}, {@code POST /v1/completions},
 * {@code POST /v1/chat/completions}, plus {@code GET /health}, and SGLang's {@code POST /update_weights_from_disk}
 * and {@code GET /get_model_info} so that an evolution can swap the served weights per candidate. Requests are read
 * and validated on their own threads; model work (weight updates included) runs on one thread, so concurrent
 * requests queue and each sees the model alone, with one set of weights.
 */
public final class OpenAiServer implements AutoCloseable {

    /** SGLang's path for loading new weights from a directory, which this server implements. */
    public static final String WEIGHT_UPDATE_PATH = "/update_weights_from_disk";

    // Jackson's default cap on one string (20 MB) would answer a long prompt with a parser message; the body limit
    // (ServerOptions.maxBodyBytes) already bounds every string, and PromptBudget then refuses by size in one sentence.
    private static final ObjectMapper MAPPER = new ObjectMapper(com.fasterxml.jackson.core.JsonFactory.builder()
            .streamReadConstraints(com.fasterxml.jackson.core.StreamReadConstraints.builder()
                    .maxStringLength(Integer.MAX_VALUE).build()).build());

    private final ServedModel served;
    private final ServerOptions options;
    private final WeightUpdates weightUpdates;
    /** Why generation is refused (a weight update failed part-way), or null; read and written on the model thread. */
    private String weightsUnusable;
    private final HttpServer http;
    private final ExecutorService httpThreads;
    private final ExecutorService modelThread;
    private final CompletionsEndpoint completions;
    private final ChatCompletionsEndpoint chat;
    private final AtomicLong requestCounter = new AtomicLong();
    private final SplittableRandom seeds = new SplittableRandom();
    private final String idPrefix;
    private final long created = Instant.now().getEpochSecond();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();

    private OpenAiServer(ServedModel served, ServerOptions options, WeightUpdates weightUpdates) throws IOException {
        this.served = served;
        this.options = options;
        this.weightUpdates = weightUpdates;
        this.completions = new CompletionsEndpoint(served);
        this.chat = new ChatCompletionsEndpoint(served);
        this.idPrefix = Long.toHexString(seeds.nextLong() & 0xffffffffL);
        this.http = HttpServer.create(new InetSocketAddress(options.host(), options.port()), 128);
        this.httpThreads = Executors.newVirtualThreadPerTaskExecutor();
        this.modelThread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "evomerge-model");
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(httpThreads);
        http.createContext("/", this::handle);
    }

    /** Binds and starts serving; the model stays owned by the caller. */
    public static OpenAiServer start(ServedModel served, ServerOptions options) {
        return start(served, options, WeightUpdates.inPlace());
    }

    /**
     * Binds and starts serving with the given handling of {@code POST /update_weights_from_disk}
     * ({@link ReloadIgnoringWeightUpdates} makes a faulty server for tests).
     */
    public static OpenAiServer start(ServedModel served, ServerOptions options, WeightUpdates weightUpdates) {
        OpenAiServer server;
        try {
            server = new OpenAiServer(served, options, weightUpdates);
        } catch (IOException e) {
            throw EvomergeException.usage("cannot listen on " + options.host() + ":" + options.port() + ": "
                    + Reasons.of(e), e);
        }
        server.http.start();
        return server;
    }

    /** The bound port (the chosen one when the options asked for 0). */
    public int port() {
        return http.getAddress().getPort();
    }

    /** {@code http://HOST:PORT} with the host as configured. */
    public String baseUrl() {
        String host = options.host().contains(":") ? "[" + options.host() + "]" : options.host();
        return "http://" + host + ":" + port();
    }

    /** Blocks until {@link #close()} is called (by another thread). */
    public void awaitClose() throws InterruptedException {
        closed.await();
    }

    /** Stops accepting requests and ends the worker threads; does not close the model. Idempotent. */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        http.stop(0);
        modelThread.shutdownNow();
        httpThreads.shutdownNow();
        closed.countDown();
    }

    /**
     * The one place errors become replies. A reply is sent once, at the end of a route; an error raised after its
     * headers went out (which no route does) could not be sent any more, so it is not attempted.
     */
    private void handle(HttpExchange ex) {
        try (ex) {
            try {
                route(ex);
            } catch (ApiException e) {
                if (ex.getResponseCode() == -1) {
                    sendError(ex, e);
                }
            } catch (RuntimeException | Error e) { // e.g. a template recursing too deep: still a complete reply
                if (ex.getResponseCode() == -1) {
                    sendError(ex, new ApiException(500, "server_error", "The server failed: " + describe(e), null,
                            null));
                }
            }
        } catch (IOException ignored) {
            // the client went away; nothing to tell it
        }
    }

    private void route(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String method = ex.getRequestMethod();
        if (path.equals("/health")) {
            requireMethod(ex, "GET");
            ObjectNode ok = MAPPER.createObjectNode().put("status", "ok");
            send(ex, 200, ok);
            return;
        }
        if (path.equals("/v1") || path.startsWith("/v1/") || path.equals(WEIGHT_UPDATE_PATH)
                || path.equals("/get_model_info")) {
            authorize(ex);
        }
        switch (path) {
            case WEIGHT_UPDATE_PATH -> updateWeights(ex);
            case "/get_model_info" -> {
                requireMethod(ex, "GET");
                send(ex, 200, modelInfo());
            }
            case "/v1/models" -> {
                requireMethod(ex, "GET");
                ObjectNode list = MAPPER.createObjectNode().put("object", "list");
                list.putArray("data").add(modelObject());
                send(ex, 200, list);
            }
            case "/v1/completions" -> generate(ex, completions, "cmpl-");
            case "/v1/chat/completions" -> generate(ex, chat, "chatcmpl-");
            default -> {
                if (path.startsWith("/v1/models/") && method.equals("GET")
                        && path.substring("/v1/models/".length()).equals(served.name())) {
                    send(ex, 200, modelObject());
                    return;
                }
                throw new ApiException(404, "invalid_request_error", "Unknown route: " + method + " " + path
                        + " (this server has GET /v1/models, POST /v1/completions, POST /v1/chat/completions,"
                        + " POST /update_weights_from_disk, GET /get_model_info).",
                        null, "unknown_url");
            }
        }
    }

    /** Answers a POST to a generating endpoint; {@code idKind} starts the reply's id. */
    private <R> void generate(HttpExchange ex, GenerationEndpoint<R> endpoint, String idKind) throws IOException {
        requireMethod(ex, "POST");
        JsonNode body = readJson(ex);
        R req = endpoint.parse(body);
        long seed = nextSeed();
        String id = idKind + idPrefix + "-" + requestCounter.incrementAndGet();
        StreamOptions streamed = StreamOptions.parse(body);
        if (streamed.enabled()) {
            stream(ex, out -> {
                requireUsableWeights();
                endpoint.stream(req, streamed, seed, id, Instant.now().getEpochSecond(), out);
            });
            return;
        }
        send(ex, 200, onModelThread(() -> {
            requireUsableWeights();
            return endpoint.handle(req, seed, id, Instant.now().getEpochSecond());
        }));
    }

    /** On the model thread: refuses generation while the weights are a mix left by a failed update. */
    private void requireUsableWeights() {
        if (weightsUnusable != null) {
            throw new ApiException(503, "server_error", weightsUnusable, null, null);
        }
    }

    /**
     * SGLang's {@code POST /update_weights_from_disk}: body {@code {"model_path": DIR}} (SGLang's other fields, such
     * as {@code load_format} or {@code flush_cache}, are accepted and ignored: there is no cache to flush); answer
     * {@code {"success", "message", "num_paused_requests"}} with 200 when loaded, 400 when refused (the old weights
     * are kept and still served) and 500 when loading failed part-way. It runs on the model thread between requests.
     */
    private void updateWeights(HttpExchange ex) throws IOException {
        requireMethod(ex, "POST");
        JsonNode body;
        try {
            body = readJson(ex);
        } catch (ApiException e) {
            sendUpdate(ex, e.status(), false, e.getMessage());
            return;
        }
        JsonNode modelPath = body.get("model_path");
        if (modelPath == null || !modelPath.isTextual() || modelPath.asText().isBlank()) {
            sendUpdate(ex, 400, false, "The body needs 'model_path': the model directory to load.");
            return;
        }
        java.nio.file.Path dir;
        try {
            dir = java.nio.file.Path.of(modelPath.asText());
        } catch (java.nio.file.InvalidPathException e) {
            sendUpdate(ex, 400, false, "'model_path' " + modelPath.asText() + " is not a path: " + e.getReason()
                    + ".");
            return;
        }
        ObjectNode reply = onModelThread(() -> {
            WeightUpdateResult result = weightUpdates.update(served, dir);
            switch (result.status()) {
                case LOADED -> weightsUnusable = null;
                case BROKEN -> weightsUnusable = result.message();
                case REFUSED -> { } // nothing changed
            }
            return MAPPER.createObjectNode().put("status", switch (result.status()) {
                case LOADED -> 200;
                case REFUSED -> 400;
                case BROKEN -> 500;
            }).put("message", result.message());
        });
        int status = reply.get("status").asInt();
        sendUpdate(ex, status, status == 200, reply.get("message").asText());
    }

    private static void sendUpdate(HttpExchange ex, int status, boolean success, String message) throws IOException {
        send(ex, status, MAPPER.createObjectNode().put("success", success).put("message", message)
                .put("num_paused_requests", 0));
    }

    /** SGLang's {@code GET /get_model_info}, with what this server knows. */
    private ObjectNode modelInfo() {
        ObjectNode info = MAPPER.createObjectNode();
        info.put("model_path", served.weightsPath().map(Object::toString).orElse(served.name()));
        info.put("tokenizer_path", served.tokenizerPath().map(Object::toString).orElse(served.name()));
        info.put("is_generation", true);
        info.put("weight_version", Long.toString(served.weightUpdates()));
        info.put("served_model_name", served.name());
        info.put("server", "evomerge");
        return info;
    }

    /**
     * Runs a streamed reply on the model thread. An error before the first event is an ordinary JSON error reply;
     * after it, an error event ends the stream.
     */
    private void stream(HttpExchange ex, java.util.function.Consumer<SseWriter> work) {
        SseWriter out = new SseWriter(ex);
        try {
            onModelThread(() -> {
                work.accept(out);
                return null;
            });
        } catch (ApiException e) {
            if (!out.started()) {
                throw e;
            }
            out.error(e);
        }
    }

    private ObjectNode modelObject() {
        ObjectNode model = MAPPER.createObjectNode().put("id", served.name()).put("object", "model")
                .put("created", created).put("owned_by", "evomerge").put("max_model_len", served.contextLength());
        served.weightsPath().ifPresent(p -> model.put("root", p.toString())); // as vLLM names the served directory
        return model;
    }

    private synchronized long nextSeed() {
        return seeds.nextLong();
    }

    private ObjectNode onModelThread(Callable<ObjectNode> work) {
        Future<ObjectNode> f;
        try {
            f = modelThread.submit(work);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            throw new ApiException(503, "server_error", "The server is shutting down.", null, null);
        }
        try {
            return f.get();
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            throw new ApiException(503, "server_error", "The server is shutting down.", null, null);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ApiException api) {
                throw api;
            }
            if (cause instanceof EvomergeException ee && ee.kind() == EvomergeException.Kind.USAGE) {
                throw ApiException.invalid(ee.getMessage(), null);
            }
            throw new ApiException(500, "server_error", "The model failed: " + describe(cause), null, null);
        }
    }

    private void authorize(HttpExchange ex) {
        if (options.apiKey().isEmpty()) {
            return;
        }
        String header = ex.getRequestHeaders().getFirst("Authorization");
        String expected = "Bearer " + options.apiKey().get();
        if (header == null || !MessageDigest.isEqual(header.strip().getBytes(StandardCharsets.UTF_8),
                expected.getBytes(StandardCharsets.UTF_8))) {
            ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
            throw new ApiException(401, "invalid_request_error", header == null
                    ? "This server needs an API key: send 'Authorization: Bearer <key>'."
                    : "Incorrect API key provided.", null, "invalid_api_key");
        }
    }

    private static void requireMethod(HttpExchange ex, String method) {
        if (!ex.getRequestMethod().equals(method)) {
            ex.getResponseHeaders().set("Allow", method);
            throw new ApiException(405, "invalid_request_error", ex.getRequestURI().getPath() + " takes " + method
                    + ", not " + ex.getRequestMethod() + ".", null, "method_not_allowed");
        }
    }

    private JsonNode readJson(HttpExchange ex) throws IOException {
        String declared = ex.getRequestHeaders().getFirst("Content-Length");
        if (declared != null && declared.strip().matches("\\d{1,18}")
                && Long.parseLong(declared.strip()) > options.maxBodyBytes()) {
            throw tooLarge(); // refused before reading a byte of it
        }
        byte[] body;
        try (InputStream in = ex.getRequestBody()) {
            body = in.readNBytes(options.maxBodyBytes() + 1); // a chunked body is cut off one byte past the limit
        }
        if (body.length > options.maxBodyBytes()) {
            throw tooLarge();
        }
        try {
            JsonNode node = JsonInput.readTree(MAPPER, body); // trailing text is refused, not ignored
            if (!node.isObject()) { // also an empty body (a missing node)
                throw ApiException.invalid("The request body must be a JSON object.", null);
            }
            return node;
        } catch (IOException e) { // only parse errors (malformed JSON or text encoding): the body is in memory
            throw ApiException.invalid("The request body is not valid JSON: " + Reasons.of(e) + ".", null);
        }
    }

    private ApiException tooLarge() {
        return new ApiException(413, "invalid_request_error", "The request body is larger than "
                + options.maxBodyBytes() + " bytes, this server's limit.", null, "request_too_large");
    }

    private static void sendError(HttpExchange ex, ApiException e) throws IOException {
        send(ex, e.status(), e.error().body(MAPPER));
    }

    private static void send(HttpExchange ex, int status, JsonNode body) throws IOException {
        byte[] bytes = MAPPER.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static String describe(Throwable t) {
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
