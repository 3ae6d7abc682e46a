package dev.evomerge.evolve.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.engine.chat.ChatMessage;

import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;

/**
 * OpenAI-compatible chat completions over java.net.http: temperature 0, {@code response_format: json_object}
 * (dropped for the rest of the run if the server rejects it), retries with backoff on transport faults, 429 and 5xx,
 * each reported before its wait. The base URL's query string (Azure's ?api-version=...) follows every request path;
 * credentials in it are sent as Basic authentication; every text from the server is redacted before it leaves.
 */
public final class OpenAiChatClient implements ChatClient {

    /** Where waits go; tests pass one that records instead of sleeping long. */
    public interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The longest the preflight check waits for an answer; a run should not hang before its first generation. */
    private static final Duration PREFLIGHT_TIMEOUT = Duration.ofSeconds(30);

    private final URI endpoint;
    private final URI modelsEndpoint;
    private final String baseUrl;
    private final String apiKey;
    private final String basicAuth;
    private final String model;
    private final RetryPolicy retry;
    private final Sleeper sleeper;
    private final HttpClient http;
    private final Secrets secrets;
    private volatile boolean jsonMode = true;

    public OpenAiChatClient(String baseUrl, String apiKey, String model, RetryPolicy retry, Sleeper sleeper) {
        this.baseUrl = baseUrl;
        this.secrets = Secrets.of(apiKey, baseUrl);
        // user:password@ in the base URL is sent as Basic authentication (as curl does), never in the request line
        Matcher u = Secrets.USER_INFO.matcher(baseUrl);
        String plain = baseUrl;
        String basic = null;
        if (u.find()) {
            plain = u.group(1) + baseUrl.substring(u.end());
            basic = Base64.getEncoder().encodeToString(
                    URLDecoder.decode(u.group(2), StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8));
        }
        this.basicAuth = basic;
        this.endpoint = resolve(plain, "chat/completions");
        this.modelsEndpoint = resolve(plain, "models");
        this.apiKey = apiKey;
        this.model = model;
        this.retry = retry;
        this.sleeper = sleeper;
        this.http = HttpClient.newBuilder().connectTimeout(retry.requestTimeout()).build();
    }

    public OpenAiChatClient(String baseUrl, String apiKey, String model) {
        this(baseUrl, apiKey, model, RetryPolicy.defaults(), d -> Thread.sleep(d.toMillis()));
    }

    /** {@code base/path}, with the base URL's query string (e.g. ?api-version=x) kept after the path. */
    static URI resolve(String base, String path) {
        int cut = base.length();
        for (char c : new char[] {'?', '#'}) {
            int i = base.indexOf(c);
            if (i >= 0 && i < cut) {
                cut = i;
            }
        }
        String head = base.substring(0, cut);
        String tail = base.substring(cut);
        if (tail.startsWith("#")) {
            tail = ""; // a fragment is never sent
        } else if (tail.contains("#")) {
            tail = tail.substring(0, tail.indexOf('#'));
        }
        if (head.endsWith("/")) {
            head = head.substring(0, head.length() - 1);
        }
        return URI.create(head + "/" + path + tail);
    }

    @Override
    public String description() {
        return model + " at " + Secrets.redactUrl(endpoint.toString());
    }

    @Override
    public String redact(String text) {
        return secrets.redact(text);
    }

    @Override
    public String complete(List<ChatMessage> messages, Consumer<Retry> retries) {
        return chat(messages, retries).text();
    }

    /** The reply with the server's {@code usage} (prompt and completion tokens), or an estimate where it sent none. */
    @Override
    public Completion chat(List<ChatMessage> messages, Consumer<Retry> retries) {
        String lastProblem = "no attempt made";
        Integer lastStatus = null;
        for (int attempt = 0; attempt < retry.attempts(); attempt++) {
            Optional<Duration> wait;
            long t0 = System.nanoTime();
            try {
                HttpResponse<String> resp = http.send(request(messages), HttpResponse.BodyHandlers.ofString());
                int status = resp.statusCode();
                if (status == 200) {
                    String text = content(resp.body());
                    return new Completion(text, usage(resp.body()).orElseGet(() -> TokenUsage.estimate(messages, text)));
                }
                lastStatus = status;
                lastProblem = "HTTP " + status + ": " + redact(errorMessage(resp.body()));
                if (status == 400 && jsonMode && mentionsResponseFormat(resp.body())) {
                    jsonMode = false; // some servers do not support json_object; ask in plain text instead
                    retries.accept(new Retry(status, lastProblem + " (asking again without response_format json_object)",
                            (System.nanoTime() - t0) / 1_000_000, Duration.ZERO, attempt + 1, retry.attempts()));
                    attempt--;
                    continue;
                }
                if (status != 429 && status < 500) {
                    ChatException refused = new ChatException("The LLM server at " + shown() + " refused the request: "
                            + lastProblem, status);
                    throw contextTooLong(status, resp.body()) ? refused.contextExceeded() : refused;
                }
                wait = retryAfter(resp);
            } catch (HttpTimeoutException e) {
                lastStatus = null;
                lastProblem = String.format(Locale.ROOT, "timed out after %.1f s", retry.requestTimeout().toMillis() / 1000.0);
                wait = Optional.empty();
            } catch (IOException e) {
                lastStatus = null;
                lastProblem = "transport error: " + redact(String.valueOf(e.getMessage() == null
                        ? e.getClass().getSimpleName() : e.getMessage()));
                wait = Optional.empty();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ChatException("Interrupted while calling the LLM at " + shown() + ".", e);
            }
            if (attempt + 1 < retry.attempts()) {
                Duration delay = wait.orElse(retry.backoff(attempt));
                retries.accept(new Retry(lastStatus, lastProblem, (System.nanoTime() - t0) / 1_000_000, delay,
                        attempt + 1, retry.attempts()));
                try {
                    sleeper.sleep(delay);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ChatException("Interrupted while waiting to retry the LLM at " + shown() + ".", e);
                }
            }
        }
        throw new ChatException("The LLM at " + shown() + " failed " + retry.attempts() + " times; last: " + lastProblem + ".",
                lastStatus);
    }

    /** The endpoint as shown to users: credentials and secret query values masked. */
    private String shown() {
        return Secrets.redactUrl(endpoint.toString());
    }

    /**
     * GET {@code models}: a 401/403 stops the run, and a listing with the model passes. Otherwise a one-token chat
     * request decides (some servers accept names they do not list, e.g. Ollama's "llama3" for "llama3:latest", and
     * some have no listing): 401/403 stop the run; 404 (OpenAI's and vLLM's unknown model) stops it; for a model the
     * listing lacks, any other failure stops it too. Otherwise 429 and 5xx do not: the run's own retries deal with
     * them, visibly.
     */
    @Override
    public void check() {
        HttpRequest.Builder get = authorized(HttpRequest.newBuilder(modelsEndpoint)).GET();
        HttpResponse<String> listing = preflight(get, modelsEndpoint);
        refusedKey(listing);
        List<String> ids = listing.statusCode() == 200 ? modelIds(listing.body()) : null;
        if (ids != null && ids.contains(model)) {
            return;
        }
        ObjectNode body = JSON.createObjectNode();
        body.put("model", model);
        body.put("max_tokens", 1);
        body.putArray("messages").addObject().put("role", "user").put("content", "Reply with OK.");
        HttpResponse<String> ping = preflight(authorized(HttpRequest.newBuilder(endpoint))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())), endpoint);
        refusedKey(ping);
        int status = ping.statusCode();
        if (status / 100 == 2) {
            return;
        }
        String answer = "HTTP " + status + ": " + redact(errorMessage(ping.body()));
        if (ids != null) {
            throw EvomergeException.usage("The LLM server at " + Secrets.redactUrl(baseUrl) + " has no model '" + model
                    + "' (it offers " + (ids.isEmpty() ? "none" : String.join(", ", ids.subList(0, Math.min(ids.size(), 10)))
                    + (ids.size() > 10 ? ", ..." : "")) + "; a test request got " + answer + "); check --llm-model.");
        }
        if (status == 404) {
            throw EvomergeException.usage("The LLM server at " + shown() + " does not know the model '" + model + "' ("
                    + answer + "); check --llm-model and --llm-base-url.");
        }
    }

    private HttpResponse<String> preflight(HttpRequest.Builder b, URI uri) {
        Duration timeout = retry.requestTimeout().compareTo(PREFLIGHT_TIMEOUT) < 0 ? retry.requestTimeout() : PREFLIGHT_TIMEOUT;
        try {
            return http.send(b.timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
        } catch (HttpTimeoutException e) {
            throw EvomergeException.usage("The LLM server at " + Secrets.redactUrl(uri.toString()) + " did not answer within "
                    + timeout.toSeconds() + " s; check --llm-base-url.", e);
        } catch (IOException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw EvomergeException.usage("Cannot reach the LLM server at " + Secrets.redactUrl(uri.toString()) + " ("
                    + redact(why) + "); check --llm-base-url.", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw EvomergeException.runtime("Interrupted while checking the LLM server at " + Secrets.redactUrl(uri.toString()) + ".", e);
        }
    }

    private void refusedKey(HttpResponse<String> r) {
        int status = r.statusCode();
        if (status == 401 || status == 403) {
            throw EvomergeException.usage("The LLM server at " + Secrets.redactUrl(r.uri().toString()) + " refused the API key (HTTP "
                    + status + ": " + redact(errorMessage(r.body())) + "); check --api-key or " + ChatClients.API_KEY_ENV + ".");
        }
    }

    /** The model ids of an OpenAI model listing ({"data": [{"id": ...}]}), or null if the body is not one. */
    private static List<String> modelIds(String body) {
        try {
            JsonNode data = JSON.readTree(body).path("data");
            if (!data.isArray()) {
                return null;
            }
            List<String> ids = new ArrayList<>();
            for (JsonNode m : data) {
                if (m.path("id").isTextual()) {
                    ids.add(m.path("id").asText());
                }
            }
            return ids;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private HttpRequest.Builder authorized(HttpRequest.Builder b) {
        if (apiKey != null && !apiKey.isEmpty()) {
            b.header("Authorization", "Bearer " + apiKey);
        } else if (basicAuth != null) {
            b.header("Authorization", "Basic " + basicAuth);
        }
        return b;
    }

    private HttpRequest request(List<ChatMessage> messages) {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", model);
        body.put("temperature", 0);
        body.put("n", 1);
        ArrayNode msgs = body.putArray("messages");
        for (ChatMessage m : messages) {
            msgs.addObject().put("role", m.role()).put("content", m.content());
        }
        if (jsonMode) {
            body.putObject("response_format").put("type", "json_object");
        }
        return authorized(HttpRequest.newBuilder(endpoint))
                .timeout(retry.requestTimeout())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                .build();
    }

    private String content(String body) {
        try {
            JsonNode root = JSON.readTree(body);
            JsonNode c = root.path("choices").path(0).path("message").path("content");
            if (!c.isTextual()) {
                throw new ChatException("The LLM at " + shown() + " answered without choices[0].message.content.");
            }
            return c.asText();
        } catch (IOException e) {
            throw new ChatException("The LLM at " + shown() + " answered with malformed JSON.", e);
        }
    }

    private static String errorMessage(String body) {
        try {
            JsonNode m = JSON.readTree(body).path("error").path("message");
            if (m.isTextual()) {
                return m.asText();
            }
        } catch (IOException | RuntimeException ignored) {
            // not JSON: show the start of the body
        }
        return body.length() > 200 ? body.substring(0, 200) + "..." : body;
    }

    /** The {@code usage} object of a completion, if it has prompt and completion token counts. */
    private static Optional<TokenUsage> usage(String body) {
        try {
            JsonNode u = JSON.readTree(body).path("usage");
            if (u.path("prompt_tokens").isIntegralNumber() && u.path("completion_tokens").isIntegralNumber()) {
                return Optional.of(new TokenUsage(u.get("prompt_tokens").asInt(), u.get("completion_tokens").asInt(), false));
            }
        } catch (IOException | RuntimeException ignored) {
            // content() already parsed this body; a missing or odd usage means an estimate
        }
        return Optional.empty();
    }

    /**
     * Whether a refusal says the prompt exceeds the model's context: OpenAI's {@code context_length_exceeded} code,
     * or a 400/413 whose message names the context (vLLM: "maximum context length", llama.cpp: "exceeds the
     * available context size").
     */
    static boolean contextTooLong(int status, String body) {
        if (body.contains("context_length_exceeded")) {
            return true;
        }
        String m = errorMessage(body).toLowerCase(Locale.ROOT);
        return (status == 400 || status == 413) && (m.contains("context length") || m.contains("context size")
                || m.contains("context window") || m.contains("maximum context"));
    }

    private static boolean mentionsResponseFormat(String body) {
        return body.contains("response_format") || body.contains("json_object");
    }

    private static Optional<Duration> retryAfter(HttpResponse<String> resp) {
        return resp.headers().firstValue("Retry-After").flatMap(v -> {
            try {
                return Optional.of(Duration.ofMillis((long) (Double.parseDouble(v.trim()) * 1000)));
            } catch (NumberFormatException e) {
                return Optional.empty(); // an HTTP date: fall back to our own backoff
            }
        });
    }
}
