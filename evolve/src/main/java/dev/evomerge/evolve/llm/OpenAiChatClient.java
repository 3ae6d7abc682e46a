package dev.evomerge.evolve.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * OpenAI-compatible chat completions over java.net.http: temperature 0, {@code response_format: json_object}
 * (dropped for the rest of the run if the server rejects it), retries with backoff on transport faults, 429 and 5xx.
 */
public final class OpenAiChatClient implements ChatClient {

    /** Where waits go; tests pass one that records instead of sleeping long. */
    public interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI endpoint;
    private final String apiKey;
    private final String model;
    private final RetryPolicy retry;
    private final Sleeper sleeper;
    private final HttpClient http;
    private volatile boolean jsonMode = true;

    public OpenAiChatClient(String baseUrl, String apiKey, String model, RetryPolicy retry, Sleeper sleeper) {
        String base = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.endpoint = URI.create(base + "/chat/completions");
        this.apiKey = apiKey;
        this.model = model;
        this.retry = retry;
        this.sleeper = sleeper;
        this.http = HttpClient.newBuilder().connectTimeout(retry.requestTimeout()).build();
    }

    public OpenAiChatClient(String baseUrl, String apiKey, String model) {
        this(baseUrl, apiKey, model, RetryPolicy.defaults(), d -> Thread.sleep(d.toMillis()));
    }

    @Override
    public String description() {
        return model + " at " + endpoint;
    }

    @Override
    public String complete(List<ChatMessage> messages) {
        String lastProblem = "no attempt made";
        for (int attempt = 0; attempt < retry.attempts(); attempt++) {
            Optional<Duration> wait;
            try {
                HttpResponse<String> resp = http.send(request(messages), HttpResponse.BodyHandlers.ofString());
                int status = resp.statusCode();
                if (status == 200) {
                    return content(resp.body());
                }
                lastProblem = "HTTP " + status + ": " + errorMessage(resp.body());
                if (status == 400 && jsonMode && mentionsResponseFormat(resp.body())) {
                    jsonMode = false; // some servers do not support json_object; ask in plain text instead
                    attempt--;
                    continue;
                }
                if (status != 429 && status < 500) {
                    throw new ChatException("The LLM server at " + endpoint + " refused the request: " + lastProblem);
                }
                wait = retryAfter(resp);
            } catch (HttpTimeoutException e) {
                lastProblem = "timed out after " + retry.requestTimeout().toSeconds() + " s";
                wait = Optional.empty();
            } catch (IOException e) {
                lastProblem = "transport error: " + e.getMessage();
                wait = Optional.empty();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ChatException("Interrupted while calling the LLM at " + endpoint + ".", e);
            }
            if (attempt + 1 < retry.attempts()) {
                try {
                    sleeper.sleep(wait.orElse(retry.backoff(attempt)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ChatException("Interrupted while waiting to retry the LLM at " + endpoint + ".", e);
                }
            }
        }
        throw new ChatException("The LLM at " + endpoint + " failed " + retry.attempts() + " times; last: " + lastProblem + ".");
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
        HttpRequest.Builder b = HttpRequest.newBuilder(endpoint)
                .timeout(retry.requestTimeout())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
        if (apiKey != null && !apiKey.isEmpty()) {
            b.header("Authorization", "Bearer " + apiKey);
        }
        return b.build();
    }

    private String content(String body) {
        try {
            JsonNode root = JSON.readTree(body);
            JsonNode c = root.path("choices").path(0).path("message").path("content");
            if (!c.isTextual()) {
                throw new ChatException("The LLM at " + endpoint + " answered without choices[0].message.content.");
            }
            return c.asText();
        } catch (IOException e) {
            throw new ChatException("The LLM at " + endpoint + " answered with malformed JSON.", e);
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
