package dev.evomerge.server;

import dev.evomerge.core.testing.GoldenModels;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** /v1/completions over HTTP against the golden llama-pico-base model and its float64 reference logprobs. */
class CompletionsEndToEndTest {

    private static ServedModel served;
    private static OpenAiServer server;
    private static Http http;
    private static JsonNode golden;

    @BeforeAll
    static void start() throws IOException {
        Path dir = GoldenModels.model("llama-pico-base");
        golden = Http.JSON.readTree(dir.resolveSibling("llama-pico-base.logprobs.json").toFile()).get("results");
        served = ServedModel.load(dir, "pico", LoadOptions.defaults().withThreads(1));
        server = OpenAiServer.start(served, ServerOptions.localDefaults());
        http = new Http(server.baseUrl());
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (served != null) {
            served.close();
        }
    }

    private static ObjectNode body(Object prompt) {
        ObjectNode b = Http.JSON.createObjectNode();
        b.set("prompt", Http.JSON.valueToTree(prompt));
        return b;
    }

    private static int[] ids(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    @Test
    void listsTheModel() {
        Http.Reply r = http.get("/v1/models");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body().get("object").asText()).isEqualTo("list");
        assertThat(r.body().at("/data/0/id").asText()).isEqualTo("pico");
        assertThat(r.body().at("/data/0/max_model_len").asInt()).isEqualTo(256);
        assertThat(http.get("/v1/models/pico").body().get("id").asText()).isEqualTo("pico");
        assertThat(server.baseUrl()).isEqualTo("http://127.0.0.1:" + server.port());
    }

    @Test
    void echoedTokenLogprobsMatchTheGoldenReference() {
        Tokenizer tok = served.tokenizer();
        for (JsonNode result : golden) {
            int[] ids = ids(result.get("ids"));
            ObjectNode req = body(result.get("ids")).put("max_tokens", 0).put("echo", true).put("logprobs", 3);
            Http.Reply r = http.post("/v1/completions", req);
            assertThat(r.status()).isEqualTo(200);
            JsonNode choice = r.body().at("/choices/0");
            JsonNode lp = choice.get("logprobs");
            assertThat(lp.get("token_logprobs")).hasSize(ids.length);
            assertThat(lp.get("token_logprobs").get(0).isNull()).isTrue();
            assertThat(lp.get("top_logprobs").get(0).isNull()).isTrue();
            for (int j = 1; j < ids.length; j++) {
                double expected = result.get("token_logprobs").get(j).asDouble();
                assertThat(lp.get("token_logprobs").get(j).asDouble()).as("token %d", j).isCloseTo(expected, within(1e-4));
                JsonNode dict = lp.get("top_logprobs").get(j);
                for (JsonNode alt : result.get("top").get(j - 1)) {
                    String piece = tok.piece(ids, j, alt.get(0).asInt());
                    assertThat(dict.get(piece)).as("alternative %s at %d", piece, j).isNotNull();
                    assertThat(dict.get(piece).asDouble()).isGreaterThanOrEqualTo(alt.get(1).asDouble() - 1e-4);
                }
            }
            assertThat(choice.get("finish_reason").asText()).isEqualTo("length");
            assertThat(choice.get("text").asText()).isEqualTo(tok.decode(ids));
            assertThat(r.body().at("/usage/prompt_tokens").asInt()).isEqualTo(ids.length);
            assertThat(r.body().at("/usage/completion_tokens").asInt()).isZero();
            // tokens are the text's pieces and text_offset points at each of them
            String text = choice.get("text").asText();
            StringBuilder joined = new StringBuilder();
            for (int j = 0; j < ids.length; j++) {
                assertThat(lp.get("text_offset").get(j).asInt()).isEqualTo(joined.codePointCount(0, joined.length()));
                joined.append(lp.get("tokens").get(j).asText());
            }
            assertThat(joined.toString()).isEqualTo(text);
        }
    }

    @Test
    void batchedPromptsAnswerInOrder() {
        List<JsonNode> prompts = new ArrayList<>();
        golden.forEach(r -> prompts.add(r.get("ids")));
        Http.Reply r = http.post("/v1/completions", body(prompts).put("max_tokens", 0).put("echo", true)
                .put("logprobs", 1));
        assertThat(r.body().get("choices")).hasSize(golden.size());
        for (int i = 0; i < golden.size(); i++) {
            JsonNode choice = r.body().get("choices").get(i);
            assertThat(choice.get("index").asInt()).isEqualTo(i);
            JsonNode values = choice.at("/logprobs/token_logprobs");
            JsonNode expected = golden.get(i).get("token_logprobs");
            assertThat(values).hasSize(expected.size());
            for (int j = 1; j < expected.size(); j++) {
                assertThat(values.get(j).asDouble()).isCloseTo(expected.get(j).asDouble(), within(1e-4));
            }
        }
    }

    /** What lm-eval's local-completions sends for loglikelihood, and how it reads the answer. */
    @Test
    void lmEvalLoglikelihoodRequest() {
        for (JsonNode result : golden) {
            int[] ids = ids(result.get("ids"));
            int ctxlen = Math.min(2, ids.length - 1);
            ObjectNode req = body(List.of(result.get("ids"))).put("model", "anything").put("temperature", 0)
                    .put("max_tokens", 1).put("logprobs", 1).put("seed", 1234).put("echo", true);
            JsonNode choice = http.post("/v1/completions", req).body().at("/choices/0");
            JsonNode lp = choice.get("logprobs");
            assertThat(lp.get("tokens")).hasSize(ids.length + 1);
            double sum = 0;
            double expectedSum = 0;
            boolean greedy = true;
            boolean expectedGreedy = true;
            for (int j = ctxlen; j < ids.length; j++) {
                sum += lp.get("token_logprobs").get(j).asDouble();
                expectedSum += result.get("token_logprobs").get(j).asDouble();
                double best = Double.NEGATIVE_INFINITY;
                for (JsonNode v : lp.get("top_logprobs").get(j)) {
                    best = Math.max(best, v.asDouble());
                }
                greedy &= lp.get("token_logprobs").get(j).asDouble() == best;
                expectedGreedy &= result.get("top").get(j - 1).get(0).get(0).asInt() == ids[j];
            }
            assertThat(sum).isCloseTo(expectedSum, within(1e-3));
            assertThat(greedy).isEqualTo(expectedGreedy);
            // the one generated token is the reference's most likely next token
            int next = result.get("top").get(ids.length - 1).get(0).get(0).asInt();
            double nextLp = result.get("top").get(ids.length - 1).get(0).get(1).asDouble();
            assertThat(lp.get("token_logprobs").get(ids.length).asDouble()).isCloseTo(nextLp, within(1e-4));
            assertThat(lp.get("tokens").get(ids.length).asText()).isEqualTo(served.eosIds().contains(next)
                    ? lp.get("tokens").get(ids.length).asText() : served.tokenizer().piece(ids, ids.length, next));
            // the engine's generate path (no echo) picks the same token with the same logprob
            JsonNode plain = http.post("/v1/completions", body(result.get("ids")).put("temperature", 0)
                    .put("max_tokens", 1).put("logprobs", 1)).body().at("/choices/0");
            if (!served.eosIds().contains(next)) {
                assertThat(plain.at("/logprobs/tokens/0").asText()).isEqualTo(served.tokenizer().piece(ids, ids.length, next));
                assertThat(plain.at("/logprobs/token_logprobs/0").asDouble()).isCloseTo(nextLp, within(1e-4));
                assertThat(plain.get("finish_reason").asText()).isEqualTo("length");
            } else {
                assertThat(plain.get("finish_reason").asText()).isEqualTo("stop");
                assertThat(plain.get("text").asText()).isEmpty();
            }
        }
    }

    @Test
    void greedyGenerationStopsAtStopStrings() {
        ObjectNode req = body("The cat").put("temperature", 0).put("max_tokens", 24).put("ignore_eos", true);
        JsonNode free = http.post("/v1/completions", req).body();
        String text = free.at("/choices/0/text").asText();
        assertThat(free.at("/choices/0/finish_reason").asText()).isEqualTo("length");
        assertThat(free.at("/usage/completion_tokens").asInt()).isEqualTo(24);
        assertThat(free.at("/usage/prompt_tokens").asInt()).isEqualTo(served.tokenizer().encode("The cat", true).length);
        // greedy decoding is deterministic
        assertThat(http.post("/v1/completions", req).body().at("/choices/0/text").asText()).isEqualTo(text);
        assertThat(text.length()).isGreaterThan(6);
        String stop = text.substring(text.length() / 2, text.length() / 2 + 2);
        int at = text.indexOf(stop);
        JsonNode stopped = http.post("/v1/completions", req.deepCopy().put("stop", stop).put("echo", true)).body();
        assertThat(stopped.at("/choices/0/text").asText()).isEqualTo("The cat" + text.substring(0, at));
        assertThat(stopped.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
    }

    @Test
    void seededSamplingIsReproducible() {
        Set<String> texts = new HashSet<>();
        for (int seed = 1; seed <= 4; seed++) {
            ObjectNode req = body("Hello").put("temperature", 1.0).put("max_tokens", 12).put("seed", seed)
                    .put("ignore_eos", true);
            String a = http.post("/v1/completions", req).body().at("/choices/0/text").asText();
            String b = http.post("/v1/completions", req).body().at("/choices/0/text").asText();
            assertThat(b).isEqualTo(a);
            texts.add(a);
        }
        assertThat(texts).hasSizeGreaterThan(1);
    }

    @Test
    void invalidRequestsGet400AndTheServerKeepsServing() {
        Http.Reply bad = http.post("/v1/completions", "{\"prompt\": [1, 2,");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.body().at("/error/type").asText()).isEqualTo("invalid_request_error");
        assertThat(bad.body().at("/error/message").asText()).contains("not valid JSON");
        assertThat(bad.body().at("/error/param").isNull()).isTrue();
        assertThat(bad.body().at("/error/code").isNull()).isTrue();

        Http.Reply type = http.post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": \"many\"}");
        assertThat(type.status()).isEqualTo(400);
        assertThat(type.body().at("/error/param").asText()).isEqualTo("max_tokens");

        Http.Reply array = http.post("/v1/completions", "[1, 2]");
        assertThat(array.status()).isEqualTo(400);
        assertThat(array.body().at("/error/message").asText()).contains("JSON object");

        int[] longPrompt = new int[250];
        java.util.Arrays.fill(longPrompt, 70);
        Http.Reply tooLong = http.post("/v1/completions", body(longPrompt).put("max_tokens", 7));
        assertThat(tooLong.status()).isEqualTo(400);
        assertThat(tooLong.body().at("/error/code").asText()).isEqualTo("context_length_exceeded");
        assertThat(tooLong.body().at("/error/message").asText()).contains("256").contains("250").contains("257");
        assertThat(http.post("/v1/completions", body(longPrompt).put("max_tokens", 6)).status()).isEqualTo(200);

        Http.Reply noChat = http.post("/v1/chat/completions",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");
        assertThat(noChat.status()).isEqualTo(400);
        assertThat(noChat.body().at("/error/message").asText()).contains("no chat template");

        Http.Reply unknown = http.post("/v1/embeddings", "{}");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.body().at("/error/message").asText()).contains("POST /v1/embeddings");
        assertThat(http.get("/v1/completions").status()).isEqualTo(405);
        assertThat(http.get("/health").body().get("status").asText()).isEqualTo("ok");

        Http.Reply ok = http.post("/v1/completions", body("Hi").put("max_tokens", 2).put("temperature", 0));
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.body().at("/choices/0/finish_reason").asText()).isIn("length", "stop");
    }

    @Test
    void trailingTextAfterTheJsonBodyIsRefused() {
        for (String body : new String[] {"{\"prompt\": \"Hi\", \"max_tokens\": 1} garbage",
                "{\"prompt\": \"Hi\", \"max_tokens\": 1}{\"prompt\": \"again\"}"}) {
            Http.Reply r = http.post("/v1/completions", body);
            assertThat(r.status()).as(body).isEqualTo(400);
            assertThat(r.body().at("/error/type").asText()).isEqualTo("invalid_request_error");
            assertThat(r.body().at("/error/message").asText()).as(body)
                    .startsWith("The request body is not valid JSON: line 1, column ")
                    .contains("more text after the end of the JSON value")
                    .doesNotContain("Source").doesNotContain("jackson").doesNotContain("`");
        }
        Http.Reply truncated = http.post("/v1/completions", "{\"prompt\": [1, 2");
        assertThat(truncated.body().at("/error/message").asText()).contains("line 1, column")
                .doesNotContain("Source").doesNotContain("REDACTED");
        Http.Reply ok = http.post("/v1/completions", "{\"prompt\": \"Hi\", \"max_tokens\": 1}  \n");
        assertThat(ok.status()).isEqualTo(200); // whitespace after the object is fine
    }

    @Test
    void aTextPromptTooLongForTheContextIsRefusedBeforeTokenizing() {
        PromptBudget budget = served.promptBudget();
        assertThat(budget.contextLength()).isEqualTo(256);
        String huge = "é".repeat((int) (budget.maxBytes() / 2) + 1); // two UTF-8 bytes each
        Http.Reply r = http.post("/v1/completions", body(List.of("Hi", huge)).put("max_tokens", 1));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.body().at("/error/code").asText()).isEqualTo("context_length_exceeded");
        assertThat(r.body().at("/error/param").asText()).isEqualTo("prompt");
        assertThat(r.body().at("/error/message").asText()).startsWith("Prompt 1 has " + (budget.maxBytes() + 2) + " bytes")
                .contains("maximum context length of 256 tokens").contains("not tokenized");
        // a prompt within the byte budget but over the context in tokens is still measured by the tokenizer
        String longButTokenized = "word ".repeat(300);
        Http.Reply tokenized = http.post("/v1/completions", body(longButTokenized).put("max_tokens", 1));
        assertThat(tokenized.status()).isEqualTo(400);
        assertThat(tokenized.body().at("/error/message").asText()).contains("the prompt has").contains("tokens");
    }

    @Test
    void aPromptLongerThanJacksonsStringCapIsRefusedForItsSizeNotByTheParser() {
        // 20.1 M characters: past Jackson's default 20 M string cap, within the 32 MiB body limit
        Http.Reply r = http.post("/v1/completions", body("a".repeat(20_100_000)).put("max_tokens", 1));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.body().at("/error/code").asText()).isEqualTo("context_length_exceeded");
        assertThat(r.body().at("/error/message").asText()).startsWith("The prompt has more than")
                .doesNotContain("StreamReadConstraints");
    }

    @Test
    void bodiesOverTheLimitGet413WithAnErrorObjectReadOrNot() throws Exception {
        ServerOptions small = new ServerOptions("127.0.0.1", 0, java.util.Optional.empty(), 4096);
        try (OpenAiServer limited = OpenAiServer.start(served, small)) {
            Http client = new Http(limited.baseUrl());
            String big = body("x".repeat(5000)).toString();
            Http.Reply declared = client.post("/v1/completions", big); // Content-Length says it is too large
            assertThat(declared.status()).isEqualTo(413);
            assertThat(declared.body().at("/error/type").asText()).isEqualTo("invalid_request_error");
            assertThat(declared.body().at("/error/code").asText()).isEqualTo("request_too_large");
            assertThat(declared.body().at("/error/message").asText()).contains("4096 bytes");

            // chunked: no length up front, so the server reads up to the limit and stops
            java.net.http.HttpResponse<String> chunked = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create(limited.baseUrl() + "/v1/completions"))
                            .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                                    () -> new java.io.ByteArrayInputStream(big.getBytes(
                                            java.nio.charset.StandardCharsets.UTF_8)))).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(chunked.statusCode()).isEqualTo(413);
            assertThat(Http.JSON.readTree(chunked.body()).at("/error/code").asText()).isEqualTo("request_too_large");

            Http.Reply fits = client.post("/v1/completions", body("Hi").put("max_tokens", 1).put("temperature", 0));
            assertThat(fits.status()).isEqualTo(200);
        }
    }

    @Test
    void apiKeyIsRequiredWhenConfigured() {
        try (OpenAiServer guarded = OpenAiServer.start(served, ServerOptions.localDefaults().withApiKey("s3cret"))) {
            Http client = new Http(guarded.baseUrl());
            String body = "{\"prompt\": \"Hi\", \"max_tokens\": 1, \"temperature\": 0}";
            Http.Reply none = client.post("/v1/completions", body);
            assertThat(none.status()).isEqualTo(401);
            assertThat(none.body().at("/error/code").asText()).isEqualTo("invalid_api_key");
            assertThat(client.post("/v1/completions", body, "Authorization", "Bearer wrong").status()).isEqualTo(401);
            assertThat(client.get("/v1/models", "Authorization", "s3cret").status()).isEqualTo(401);
            assertThat(client.post("/v1/completions", body, "Authorization", "Bearer s3cret").status()).isEqualTo(200);
            assertThat(client.get("/v1/models", "Authorization", "Bearer s3cret").status()).isEqualTo(200);
            assertThat(client.get("/health").status()).isEqualTo(200);
        }
    }

    /**
     * Equal JSON except numbers, which may differ by float rounding: the engine's batching and caching may sum in
     * another order when the same request follows a different one.
     */
    private static boolean sameUpToRounding(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return Math.abs(a.doubleValue() - b.doubleValue()) <= 1e-4;
        }
        if (a.isContainerNode() && b.isContainerNode() && a.getNodeType() == b.getNodeType() && a.size() == b.size()) {
            if (a.isArray()) {
                for (int i = 0; i < a.size(); i++) {
                    if (!sameUpToRounding(a.get(i), b.get(i))) {
                        return false;
                    }
                }
                return true;
            }
            for (var e : a.properties()) {
                if (!b.has(e.getKey()) || !sameUpToRounding(e.getValue(), b.get(e.getKey()))) {
                    return false;
                }
            }
            return true;
        }
        return a.equals(b);
    }

    @Test
    void concurrentClientsGetTheSequentialAnswers() throws Exception {
        List<ObjectNode> requests = new ArrayList<>();
        for (JsonNode result : golden) {
            requests.add(body(result.get("ids")).put("max_tokens", 1).put("echo", true).put("logprobs", 2)
                    .put("temperature", 0));
        }
        for (String p : List.of("The", "Hello world", "a b c", "12")) {
            requests.add(body(p).put("max_tokens", 6).put("temperature", 0).put("logprobs", 1));
            requests.add(body(p).put("max_tokens", 6).put("temperature", 0.8).put("seed", 7));
        }
        List<JsonNode> sequential = new ArrayList<>();
        for (ObjectNode req : requests) {
            sequential.add(http.post("/v1/completions", req).body().get("choices"));
        }
        ExecutorService clients = Executors.newFixedThreadPool(6);
        try {
            List<Future<Boolean>> futures = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                int offset = t;
                futures.add(clients.submit(() -> {
                    Http own = new Http(server.baseUrl());
                    for (int k = 0; k < requests.size(); k++) {
                        int i = (k + offset) % requests.size();
                        JsonNode choices = own.post("/v1/completions", requests.get(i)).body().get("choices");
                        if (!sameUpToRounding(choices, sequential.get(i))) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> f : futures) {
                assertThat(f.get()).isTrue();
            }
        } finally {
            clients.shutdownNow();
        }
    }
}
