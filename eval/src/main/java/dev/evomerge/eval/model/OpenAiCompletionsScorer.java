package dev.evomerge.eval.model;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.Reasons;
import dev.evomerge.engine.LoglikelihoodRequest;
import dev.evomerge.engine.LoglikelihoodResult;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Any OpenAI-compatible {@code /v1/completions} server (vLLM, SGLang, llama.cpp server, {@code evomerge serve}) as a
 * {@link TokenScorer}, speaking as lm-eval's {@code local-completions} does: prompts are token ids; a loglikelihood
 * request sends context+continuation with {@code echo}, {@code logprobs: 1} and {@code max_tokens: 1}, and sums
 * {@code token_logprobs[ctxlen:-1]}; greedy means every such logprob equals the best of its {@code top_logprobs}.
 * Requests arrive fitted to the window ({@link ContextWindow}) and are sent whole, so a window of {@code N} tokens
 * needs {@code N + 2} positions on the server ({@link #maxLength()}).
 * Transport failures and 429/5xx answers are retried with bounded exponential backoff.
 */
public final class OpenAiCompletionsScorer implements TokenScorer {

    /** Retry policy for transport errors. */
    public record Retry(int maxRetries, Duration initialBackoff, Duration maxBackoff) {
        /** 3 retries after 1 s, 2 s, 4 s (at most 8 s apart), as lm-eval's default of 3 retries. */
        public static Retry defaults() {
            return new Retry(3, Duration.ofSeconds(1), Duration.ofSeconds(8));
        }
    }

    private final URI endpoint;
    private final String modelName;
    private final int serverContextLength;
    private final Retry retry;
    private final Duration timeout;
    private final long seed;
    private final int promptsPerRequest;
    private final HttpClient http;
    private final ObjectMapper json = new ObjectMapper().enable(JsonParser.Feature.ALLOW_NON_NUMERIC_NUMBERS);

    /**
     * @param baseUrl       the server: {@code http://host:port}, {@code .../v1} or the full {@code .../v1/completions}
     * @param modelName     the {@code model} field of each request (the served model's name)
     * @param serverContextLength the served model's context (positions), as the server reports it in
     *                      {@code /v1/models} ({@link #reportedContextLength}) or as assumed
     * @param promptsPerRequest loglikelihood prompts sent together as a list of token lists (1 = one per request)
     */
    public OpenAiCompletionsScorer(String baseUrl, String modelName, int serverContextLength, int promptsPerRequest,
                                   Retry retry, Duration timeout) {
        if (promptsPerRequest < 1) {
            throw EvomergeException.usage("prompts per request must be at least 1, got " + promptsPerRequest);
        }
        if (serverContextLength < 3) {
            throw EvomergeException.usage("the model behind " + baseUrl + " has a context of " + serverContextLength
                    + " tokens; scoring needs at least 3");
        }
        this.promptsPerRequest = promptsPerRequest;
        this.endpoint = endpoint(baseUrl);
        this.modelName = modelName;
        this.serverContextLength = serverContextLength;
        this.retry = retry;
        this.timeout = timeout;
        this.seed = 1234;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** The completions endpoint for a base URL as users write it. */
    static URI endpoint(String baseUrl) {
        String u = baseUrl.strip();
        while (u.endsWith("/")) {
            u = u.substring(0, u.length() - 1);
        }
        URI uri;
        try {
            uri = URI.create(u);
        } catch (IllegalArgumentException e) {
            throw EvomergeException.usage("--base-url " + baseUrl + " is not a URL: " + e.getMessage());
        }
        if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
                || uri.getHost() == null) {
            throw EvomergeException.usage("--base-url " + baseUrl + " must be an http(s) URL such as http://127.0.0.1:8000/v1");
        }
        String path = uri.getPath() == null ? "" : uri.getPath();
        if (path.endsWith("/completions")) {
            return uri;
        }
        if (path.endsWith("/v1")) {
            return URI.create(u + "/completions");
        }
        return URI.create(u + "/v1/completions");
    }

    /**
     * Two less than the server's context: a window of {@code maxLength} read tokens is sent as {@code maxLength + 1}
     * prompt tokens (the last one is only scored), and lm-eval's request asks for one generated token on top.
     */
    @Override
    public int maxLength() {
        return serverContextLength - 2;
    }

    /**
     * What the server says about its context.
     *
     * @param contextLength {@code max_model_len} of the served model, when the server reports it
     * @param detail        why it is missing, for the warning
     */
    public record Reported(OptionalInt contextLength, String detail) {
    }

    /**
     * The served model's context from {@code GET /v1/models}: {@code max_model_len} of the entry named
     * {@code modelName}, else of the only entry (vLLM and {@code evomerge serve} report it; others may not).
     */
    public static Reported reportedContextLength(String baseUrl, String modelName, Duration timeout) {
        URI completions = endpoint(baseUrl);
        String path = completions.getPath();
        URI models = completions.resolve(path.substring(0, path.length() - "completions".length()) + "models");
        HttpRequest.Builder request = HttpRequest.newBuilder(models).timeout(timeout).GET();
        withApiKey(request);
        JsonNode data;
        try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build()) {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 != 2) {
                return new Reported(OptionalInt.empty(), models + " answered HTTP " + response.statusCode());
            }
            data = new ObjectMapper().readTree(response.body()).path("data");
        } catch (IOException e) {
            return new Reported(OptionalInt.empty(), models + " failed: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw EvomergeException.runtime("interrupted while asking " + models, e);
        }
        JsonNode entry = null;
        for (JsonNode m : data) {
            if (modelName.equals(m.path("id").asText(null))) {
                entry = m;
            }
        }
        if (entry == null && data.size() == 1) {
            entry = data.get(0);
        }
        if (entry == null) {
            return new Reported(OptionalInt.empty(), models + " lists " + data.size()
                    + " models and none is named " + modelName);
        }
        JsonNode len = entry.get("max_model_len");
        if (len == null || !len.canConvertToInt() || len.asInt() < 1) {
            return new Reported(OptionalInt.empty(), models + " gives no max_model_len for "
                    + entry.path("id").asText("the model"));
        }
        return new Reported(OptionalInt.of(len.asInt()), "");
    }

    @Override
    public List<LoglikelihoodResult> loglikelihood(List<LoglikelihoodRequest> requests) {
        List<LoglikelihoodResult> out = new ArrayList<>(requests.size());
        for (int start = 0; start < requests.size(); start += promptsPerRequest) {
            out.addAll(loglikelihoodOnce(requests.subList(start, Math.min(requests.size(), start + promptsPerRequest))));
        }
        return out;
    }

    private List<LoglikelihoodResult> loglikelihoodOnce(List<LoglikelihoodRequest> requests) {
        // The requests come fitted to the window (ContextWindow.fit), so the whole of each is sent: cutting here
        // would make the server score other tokens than the engine does for the same --max-length.
        List<int[]> prompts = new ArrayList<>(requests.size());
        int[] ctxlens = new int[requests.size()];
        for (int i = 0; i < requests.size(); i++) {
            int[] ctx = requests.get(i).context();
            int[] cont = requests.get(i).continuation();
            int[] whole = new int[ctx.length + cont.length];
            System.arraycopy(ctx, 0, whole, 0, ctx.length);
            System.arraycopy(cont, 0, whole, ctx.length, cont.length);
            if (whole.length + 1 > serverContextLength) {
                throw EvomergeException.usage("a loglikelihood request of " + whole.length + " tokens plus the one "
                        + "token the server generates does not fit the " + serverContextLength
                        + "-token context of the model behind " + endpoint + "; use --max-length "
                        + maxLength() + " or less");
            }
            prompts.add(whole);
            ctxlens[i] = ctx.length;
        }
        ObjectNode body = json.createObjectNode();
        body.put("model", modelName);
        body.set("prompt", promptNode(prompts));
        body.put("temperature", 0);
        body.put("max_tokens", 1);
        body.put("logprobs", 1);
        body.put("seed", seed);
        body.put("echo", true);
        JsonNode choices = choices(post(body), requests.size());
        List<LoglikelihoodResult> out = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            JsonNode logprobs = choices.get(i).path("logprobs");
            JsonNode tokenLogprobs = logprobs.path("token_logprobs");
            JsonNode top = logprobs.path("top_logprobs");
            int n = prompts.get(i).length;
            if (!tokenLogprobs.isArray() || tokenLogprobs.size() < n) {
                throw EvomergeException.runtime("the server at " + endpoint + " returned " + tokenLogprobs.size()
                        + " token logprobs for a " + n + "-token prompt: it must support echo with logprobs "
                        + "(prompt log-probabilities) for loglikelihood tasks", null);
            }
            double sum = 0;
            boolean greedy = true;
            // lm-eval's [ctxlen:-1]: the continuation tokens, without the one generated token.
            int end = tokenLogprobs.size() - 1;
            for (int j = ctxlens[i]; j < end; j++) {
                JsonNode lp = tokenLogprobs.get(j);
                double v = lp == null || lp.isNull() ? Double.NaN : lp.asDouble();
                sum += v;
                JsonNode alternatives = top.get(j);
                if (greedy && alternatives != null && alternatives.isObject() && !alternatives.isEmpty()) {
                    double best = Double.NEGATIVE_INFINITY;
                    for (JsonNode a : alternatives) {
                        best = Math.max(best, a.asDouble());
                    }
                    greedy = v == best;
                }
            }
            out.add(new LoglikelihoodResult(sum, greedy));
        }
        return out;
    }

    @Override
    public List<String> generate(List<TokenGeneration> requests) {
        List<String> out = new ArrayList<>(requests.size());
        for (TokenGeneration g : requests) {
            GenerationQuery q = g.query();
            ObjectNode body = json.createObjectNode();
            body.put("model", modelName);
            body.set("prompt", promptNode(List.of(g.prompt())));
            body.put("max_tokens", q.maxGenToks());
            body.put("temperature", q.temperature());
            if (q.temperature() > 0) {
                if (q.topP() < 1) {
                    body.put("top_p", q.topP());
                }
                if (q.topK() > 0) {
                    body.put("top_k", q.topK());
                }
            }
            ArrayNode stop = body.putArray("stop");
            q.until().forEach(stop::add);
            body.put("seed", q.temperature() > 0 ? q.seed() : seed);
            JsonNode choice = choices(post(body), 1).get(0);
            JsonNode text = choice.get("text");
            if (text == null || !text.isTextual()) {
                throw EvomergeException.runtime("the server at " + endpoint + " answered a completion without text",
                        null);
            }
            out.add(text.textValue());
        }
        return out;
    }

    private JsonNode promptNode(List<int[]> prompts) {
        if (prompts.size() == 1) {
            ArrayNode ids = json.createArrayNode();
            for (int id : prompts.getFirst()) {
                ids.add(id);
            }
            return ids;
        }
        ArrayNode all = json.createArrayNode();
        for (int[] p : prompts) {
            ArrayNode ids = all.addArray();
            for (int id : p) {
                ids.add(id);
            }
        }
        return all;
    }

    private JsonNode choices(JsonNode response, int expected) {
        JsonNode choices = response.get("choices");
        if (choices == null || !choices.isArray() || choices.size() != expected) {
            throw EvomergeException.runtime("the server at " + endpoint + " returned "
                    + (choices == null ? "no choices" : choices.size() + " choices") + " for " + expected
                    + " prompts", null);
        }
        List<JsonNode> sorted = new ArrayList<>();
        choices.forEach(sorted::add);
        sorted.sort(Comparator.comparingInt(c -> c.path("index").asInt()));
        ArrayNode out = json.createArrayNode();
        sorted.forEach(out::add);
        return out;
    }

    private JsonNode post(ObjectNode body) {
        byte[] payload;
        try {
            payload = json.writeValueAsBytes(body);
        } catch (IOException e) {
            throw EvomergeException.runtime("cannot encode a completions request: " + e.getMessage(), e);
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(endpoint).timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(payload));
        withApiKey(request);
        Duration backoff = retry.initialBackoff();
        for (int attempt = 0; ; attempt++) {
            String failure;
            try {
                HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
                int status = response.statusCode();
                if (status / 100 == 2) {
                    try {
                        return json.readTree(response.body());
                    } catch (IOException e) {
                        throw EvomergeException.runtime("the server at " + endpoint + " answered with invalid JSON: "
                                + Reasons.of(e) + ".", e);
                    }
                }
                String detail = response.body() == null ? "" : response.body().strip();
                if (detail.length() > 300) {
                    detail = detail.substring(0, 300) + "...";
                }
                if (status != 429 && status / 100 != 5) {
                    throw EvomergeException.usage("the server at " + endpoint + " rejected a request with HTTP "
                            + status + ": " + detail);
                }
                failure = "HTTP " + status + " " + detail;
            } catch (IOException e) {
                failure = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw EvomergeException.runtime("interrupted while waiting for " + endpoint, e);
            }
            if (attempt >= retry.maxRetries()) {
                throw EvomergeException.runtime("the completions server at " + endpoint + " failed "
                        + (attempt + 1) + " times; last error: " + failure, null);
            }
            try {
                Thread.sleep(backoff.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw EvomergeException.runtime("interrupted while retrying " + endpoint, e);
            }
            backoff = backoff.multipliedBy(2).compareTo(retry.maxBackoff()) > 0 ? retry.maxBackoff()
                    : backoff.multipliedBy(2);
        }
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("model", "openai-completions");
        d.put("model_args", "base_url=" + endpoint + ",model=" + modelName + ",tokenized_requests=True");
        return d;
    }

    /** lm-eval's local-completions sends OPENAI_API_KEY as a bearer token when it is set; so do we. */
    private static void withApiKey(HttpRequest.Builder request) {
        String key = System.getenv("OPENAI_API_KEY");
        if (key != null && !key.isBlank()) {
            request.header("Authorization", "Bearer " + key);
        }
    }
}
