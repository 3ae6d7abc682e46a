package dev.evomerge.eval.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.synth.ModelSynthesizer;
import dev.evomerge.core.synth.SynthModelSpec;
import dev.evomerge.engine.LoglikelihoodRequest;
import dev.evomerge.engine.LoglikelihoodResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Against a loopback server that answers as an OpenAI-compatible completions endpoint would. */
class OpenAiCompletionsScorerTest {

    private final ObjectMapper json = new ObjectMapper();
    private final List<JsonNode> bodies = new CopyOnWriteArrayList<>();
    private final AtomicInteger failuresLeft = new AtomicInteger();
    private volatile int failStatus = 503;
    private volatile String models = "";
    private HttpServer server;
    private String base;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/completions", exchange -> {
            JsonNode body = json.readTree(exchange.getRequestBody());
            bodies.add(body);
            String answer;
            int status = 200;
            if (failuresLeft.getAndDecrement() > 0) {
                status = failStatus;
                answer = "{\"error\": \"busy\"}";
            } else if (body.path("echo").asBoolean()) {
                answer = echo(body.get("prompt"));
            } else {
                answer = "{\"choices\": [{\"index\": 0, \"text\": \" 42\\nQuestion: more\"}]}";
            }
            byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.createContext("/v1/models", exchange -> {
            byte[] bytes = models.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(models.isEmpty() ? 404 : 200, models.isEmpty() ? -1 : bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** token_logprobs[j] = -0.1 * j (null first) and a generated token at -9; top = -0.1 at every position. */
    private static String echo(JsonNode prompt) {
        List<JsonNode> prompts = prompt.get(0).isArray() ? iterate(prompt) : List.of(prompt);
        StringBuilder sb = new StringBuilder("{\"choices\": [");
        for (int p = prompts.size() - 1; p >= 0; p--) {
            int n = prompts.get(p).size();
            StringBuilder lp = new StringBuilder("[null");
            StringBuilder top = new StringBuilder("[null");
            for (int j = 1; j < n; j++) {
                lp.append(", ").append(-0.1 * j);
                top.append(", {\"t\": ").append(j == 3 ? -0.1 * j : -0.1).append("}");
            }
            lp.append(", -9.0]");
            top.append(", {\"t\": -1.0}]");
            sb.append("{\"index\": ").append(p).append(", \"text\": \"x\", \"logprobs\": {\"token_logprobs\": ")
                    .append(lp).append(", \"top_logprobs\": ").append(top).append("}}");
            sb.append(p > 0 ? ", " : "");
        }
        return sb.append("]}").toString();
    }

    private static List<JsonNode> iterate(JsonNode array) {
        List<JsonNode> out = new java.util.ArrayList<>();
        array.forEach(out::add);
        return out;
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private OpenAiCompletionsScorer scorer(int promptsPerRequest) {
        return new OpenAiCompletionsScorer(base + "/v1", "served", 64, promptsPerRequest,
                new OpenAiCompletionsScorer.Retry(3, Duration.ofMillis(1), Duration.ofMillis(4)), Duration.ofSeconds(10));
    }

    @Test
    void loglikelihoodSendsTokenIdsWithEchoAndSumsContinuationLogprobs() {
        List<LoglikelihoodResult> r = scorer(1).loglikelihood(List.of(
                new LoglikelihoodRequest(new int[] {1, 5, 6}, new int[] {7, 8}),
                new LoglikelihoodRequest(new int[] {1, 5}, new int[] {9})));
        JsonNode sent = bodies.getFirst();
        assertThat(sent.get("prompt").toString()).isEqualTo("[1,5,6,7,8]");
        assertThat(sent.get("echo").asBoolean()).isTrue();
        assertThat(sent.get("max_tokens").asInt()).isEqualTo(1);
        assertThat(sent.get("logprobs").asInt()).isEqualTo(1);
        assertThat(sent.get("temperature").asInt()).isZero();
        assertThat(sent.get("model").asText()).isEqualTo("served");
        // token_logprobs[3:-1] = [-0.3, -0.4]; position 4's -0.4 is below its top -0.1, so not greedy
        assertThat(r.getFirst().logprob()).isCloseTo(-0.7, within(1e-12));
        assertThat(r.getFirst().isGreedy()).isFalse();
        // second prompt [1,5,9]: token_logprobs[2:-1] = [-0.2]; top at 2 is -0.1 -> not greedy
        assertThat(r.get(1).logprob()).isCloseTo(-0.2, within(1e-12));
        assertThat(bodies).hasSize(2);
    }

    @Test
    void batchesPromptsAsListsAndOrdersChoicesByIndex() {
        List<LoglikelihoodResult> r = scorer(8).loglikelihood(List.of(
                new LoglikelihoodRequest(new int[] {1, 5, 6}, new int[] {7}),
                new LoglikelihoodRequest(new int[] {1}, new int[] {4})));
        assertThat(bodies).hasSize(1);
        assertThat(bodies.getFirst().get("prompt").toString()).isEqualTo("[[1,5,6,7],[1,4]]");
        // [3:-1] of the first = [-0.3], equal to its top -0.3 -> greedy
        assertThat(r.getFirst().logprob()).isCloseTo(-0.3, within(1e-12));
        assertThat(r.getFirst().isGreedy()).isTrue();
        assertThat(r.get(1).logprob()).isCloseTo(-0.1, within(1e-12));
    }

    @Test
    void retriesTransportErrorsAndGivesUpWithASentence() {
        failuresLeft.set(2);
        List<LoglikelihoodResult> r = scorer(1).loglikelihood(List.of(
                new LoglikelihoodRequest(new int[] {1}, new int[] {2})));
        assertThat(r.getFirst().logprob()).isCloseTo(-0.1, within(1e-12));
        assertThat(bodies).hasSize(3);
        failuresLeft.set(10);
        assertThatThrownBy(() -> scorer(1).loglikelihood(List.of(new LoglikelihoodRequest(new int[] {1}, new int[] {2}))))
                .isInstanceOf(EvomergeException.class).hasMessageContaining("failed 4 times")
                .hasMessageContaining("HTTP 503");
        failuresLeft.set(1);
        failStatus = 400;
        assertThatThrownBy(() -> scorer(1).loglikelihood(List.of(new LoglikelihoodRequest(new int[] {1}, new int[] {2}))))
                .hasMessageContaining("rejected a request with HTTP 400").hasMessageContaining("busy");
    }

    @Test
    void generationSendsStopAndMaxTokens() {
        GenerationQuery q = GenerationQuery.greedy("ignored", List.of("\n", "Question:"), 7);
        List<String> out = scorer(1).generate(List.of(new TokenScorer.TokenGeneration(new int[] {1, 2, 3}, q)));
        assertThat(out).containsExactly(" 42\nQuestion: more");
        assertThat(q.cut(out.getFirst())).isEqualTo(" 42");
        JsonNode sent = bodies.getFirst();
        assertThat(sent.get("max_tokens").asInt()).isEqualTo(7);
        assertThat(sent.get("stop").toString()).isEqualTo("[\"\\n\",\"Question:\"]");
        assertThat(sent.has("echo")).isFalse();
    }

    @Test
    void theServersContextComesFromMaxModelLenOfItsModelInV1Models() {
        OpenAiCompletionsScorer.Reported none = OpenAiCompletionsScorer.reportedContextLength(base + "/v1", "served",
                Duration.ofSeconds(10));
        assertThat(none.contextLength()).isEmpty();
        assertThat(none.detail()).isEqualTo(base + "/v1/models answered HTTP 404");
        models = "{\"data\": [{\"id\": \"other\", \"max_model_len\": 4096}, {\"id\": \"served\", \"max_model_len\": 96}]}";
        assertThat(OpenAiCompletionsScorer.reportedContextLength(base + "/v1/completions", "served",
                Duration.ofSeconds(10)).contextLength()).hasValue(96);
        assertThat(OpenAiCompletionsScorer.reportedContextLength(base, "nameless", Duration.ofSeconds(10)).detail())
                .isEqualTo(base + "/v1/models lists 2 models and none is named nameless");
        models = "{\"data\": [{\"id\": \"only\", \"max_model_len\": 80}]}";
        assertThat(OpenAiCompletionsScorer.reportedContextLength(base, "nameless", Duration.ofSeconds(10))
                .contextLength()).hasValue(80);
        models = "{\"data\": [{\"id\": \"only\"}]}";
        assertThat(OpenAiCompletionsScorer.reportedContextLength(base, "only", Duration.ofSeconds(10)).detail())
                .isEqualTo(base + "/v1/models gives no max_model_len for only");
        // a window of N tokens goes out as N + 1 prompt tokens and asks for 1 more: 64 positions score 62
        assertThat(scorer(1).maxLength()).isEqualTo(62);
    }

    @Test
    void theWindowIsTheServersContextMinusTwoAndAnUnknownContextIsAssumedWithAWarning(@TempDir Path dir) {
        Path model = dir.resolve("m");
        ModelSynthesizer.write(SynthModelSpec.defaults().withLayers(1), model); // max_position_embeddings 2048
        List<String> warnings = new java.util.ArrayList<>();
        try (LanguageModel lm = LanguageModels.openAiCompletions(model, base + "/v1", "served", true, 1,
                Optional.empty(), Duration.ofSeconds(10), warnings::add)) {
            assertThat(lm.describe().get("model_args").toString()).endsWith(",max_length=2046");
        }
        assertThat(warnings).containsExactly("the server's context is unknown (" + base + "/v1/models answered HTTP "
                + "404), so it is taken from " + model.resolve("config.json") + " (2048 tokens) and requests use "
                + "--max-length 2046; pass --max-length to choose the window");
        warnings.clear();
        try (LanguageModel lm = LanguageModels.openAiCompletions(model, base + "/v1", "served", true, 1,
                Optional.of(100), Duration.ofSeconds(10), warnings::add)) {
            assertThat(lm.describe().get("model_args").toString()).endsWith(",max_length=100");
        }
        assertThat(warnings).containsExactly("the server's context is unknown (" + base + "/v1/models answered HTTP "
                + "404); requests use --max-length 100 as given, unchecked");
        warnings.clear();
        models = "{\"data\": [{\"id\": \"served\", \"max_model_len\": 96}]}";
        try (LanguageModel lm = LanguageModels.openAiCompletions(model, base + "/v1", "served", true, 1,
                Optional.empty(), Duration.ofSeconds(10), warnings::add)) {
            assertThat(lm.describe().get("model_args").toString()).endsWith(",max_length=94");
        }
        assertThat(warnings).isEmpty();
        assertThatThrownBy(() -> LanguageModels.openAiCompletions(model, base + "/v1", "served", true, 1,
                Optional.of(95), Duration.ofSeconds(10), warnings::add))
                .isInstanceOf(EvomergeException.class).hasMessage("--max-length 95 does not fit the server at " + base
                        + "/v1: it reports a context of 96 tokens (max_model_len), and a window of N tokens is sent as "
                        + "N + 1 prompt tokens plus 1 generated token; use --max-length 94 or less");
        assertThatThrownBy(() -> LanguageModels.openAiCompletions(model, base + "/v1", "served", true, 1,
                Optional.of(0), Duration.ofSeconds(10), warnings::add))
                .hasMessage("--max-length must be at least 1, got 0");
    }

    @Test
    void endpointAcceptsTheUsualSpellings() {
        assertThat(OpenAiCompletionsScorer.endpoint("http://h:1").toString()).isEqualTo("http://h:1/v1/completions");
        assertThat(OpenAiCompletionsScorer.endpoint("http://h:1/v1/").toString()).isEqualTo("http://h:1/v1/completions");
        assertThat(OpenAiCompletionsScorer.endpoint("http://h:1/v1/completions").toString())
                .isEqualTo("http://h:1/v1/completions");
        assertThatThrownBy(() -> OpenAiCompletionsScorer.endpoint("localhost:8000"))
                .hasMessageContaining("must be an http(s) URL");
    }
}
