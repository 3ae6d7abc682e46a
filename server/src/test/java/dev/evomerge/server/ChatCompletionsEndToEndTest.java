package dev.evomerge.server;

import dev.evomerge.core.testing.GoldenModels;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.engine.LoadOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** /v1/chat/completions over HTTP: the golden llama-pico-base weights with a chat template added. */
class ChatCompletionsEndToEndTest {

    /** Role tags built from characters the tiny vocabulary has; refuses "tool" turns. */
    private static final String TEMPLATE = "{{ bos_token }}{% for m in messages %}"
            + "{% if m.role == 'tool' %}{{ raise_exception('tool turns are not supported') }}{% endif %}"
            + "<{{ m.role }}>{{ m.content.strip() }}\n{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}";

    private static Path dir;
    private static ServedModel served;
    private static OpenAiServer server;
    private static Http http;

    @BeforeAll
    static void start() throws IOException {
        Path golden = GoldenModels.model("llama-pico-base");
        dir = Files.createTempDirectory("evomerge-chat-model");
        for (String f : List.of("config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
                "special_tokens_map.json")) {
            Files.copy(golden.resolve(f), dir.resolve(f));
        }
        ObjectNode cfg = (ObjectNode) Http.JSON.readTree(golden.resolve("tokenizer_config.json").toFile());
        cfg.put("chat_template", TEMPLATE);
        Files.writeString(dir.resolve("tokenizer_config.json"), Http.JSON.writeValueAsString(cfg));
        served = ServedModel.load(dir, null, LoadOptions.defaults().withThreads(1));
        server = OpenAiServer.start(served, ServerOptions.localDefaults());
        http = new Http(server.baseUrl());
    }

    @AfterAll
    static void stop() throws IOException {
        if (server != null) {
            server.close();
        }
        if (served != null) {
            served.close();
        }
        if (dir != null) {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(dir);
        }
    }

    private static ObjectNode chat(Object messages) {
        ObjectNode b = Http.JSON.createObjectNode();
        b.set("messages", Http.JSON.valueToTree(messages));
        return b;
    }

    private static final List<Map<String, String>> HELLO = List.of(
            Map.of("role", "system", "content", " Be nice. "), Map.of("role", "user", "content", "Hello there"));

    @Test
    void replyIsTheGreedyContinuationOfTheRenderedPrompt() {
        JsonNode r = http.post("/v1/chat/completions", chat(HELLO).put("temperature", 0).put("max_tokens", 10)).body();
        assertThat(r.get("object").asText()).isEqualTo("chat.completion");
        assertThat(r.get("model").asText()).isEqualTo(dir.getFileName().toString());
        assertThat(r.at("/choices/0/message/role").asText()).isEqualTo("assistant");
        // the template renders "<s><system>Be nice.\n<user>Hello there\n<assistant>"; the reply must equal the
        // completions endpoint's greedy continuation of exactly those tokens
        int[] prompt = served.tokenizer().encode("<s><system>Be nice.\n<user>Hello there\n<assistant>", false);
        assertThat(prompt[0]).isEqualTo(1);
        assertThat(r.at("/usage/prompt_tokens").asInt()).isEqualTo(prompt.length);
        ObjectNode completion = Http.JSON.createObjectNode().put("temperature", 0).put("max_tokens", 10);
        completion.set("prompt", Http.JSON.valueToTree(prompt));
        JsonNode expected = http.post("/v1/completions", completion).body().at("/choices/0");
        assertThat(r.at("/choices/0/message/content").asText()).isEqualTo(expected.get("text").asText());
        assertThat(r.at("/choices/0/finish_reason").asText()).isEqualTo(expected.get("finish_reason").asText());
    }

    @Test
    void logprobsInTheChatFormat() {
        JsonNode r = http.post("/v1/chat/completions", chat(HELLO).put("temperature", 0).put("max_tokens", 5)
                .put("logprobs", true).put("top_logprobs", 2)).body();
        JsonNode content = r.at("/choices/0/logprobs/content");
        assertThat(content.size()).isBetween(1, 5);
        StringBuilder joined = new StringBuilder();
        for (JsonNode t : content) {
            assertThat(t.get("top_logprobs")).hasSize(2);
            // greedy: the chosen token is the most likely one, with the same value
            assertThat(t.get("logprob").asDouble()).isEqualTo(t.at("/top_logprobs/0/logprob").asDouble());
            assertThat(t.get("token").asText()).isEqualTo(t.at("/top_logprobs/0/token").asText());
            assertThat(t.get("bytes").size()).isEqualTo(t.get("token").asText().getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
            joined.append(t.get("token").asText());
        }
        assertThat(joined.toString()).startsWith(r.at("/choices/0/message/content").asText());
    }

    @Test
    void jsonObjectResponsesAreJsonObjects() throws Exception {
        for (double temperature : new double[] {0, 0.9}) {
            ObjectNode req = chat(List.of(Map.of("role", "user", "content", "Give me JSON")))
                    .put("temperature", temperature).put("seed", 3).put("max_tokens", 120);
            req.putObject("response_format").put("type", "json_object");
            JsonNode r = http.post("/v1/chat/completions", req).body();
            String content = r.at("/choices/0/message/content").asText();
            assertThat(content.strip()).startsWith("{");
            JsonPrefix.Result check = JsonPrefix.check(content);
            if (r.at("/choices/0/finish_reason").asText().equals("stop")) {
                assertThat(check).isEqualTo(new JsonPrefix.Complete(content.length()));
                assertThat(Http.JSON.readTree(content).isObject()).isTrue();
            } else {
                assertThat(check).isInstanceOf(JsonPrefix.Partial.class);
                assertThat(r.at("/usage/completion_tokens").asInt()).isGreaterThanOrEqualTo(120);
            }
            // same seed, same answer
            assertThat(http.post("/v1/chat/completions", req).body().at("/choices/0/message/content").asText())
                    .isEqualTo(content);
        }
    }

    @Test
    void templateErrorsAreBadRequests() {
        Http.Reply r = http.post("/v1/chat/completions",
                chat(List.of(Map.of("role", "tool", "content", "x"))).put("max_tokens", 2));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.body().at("/error/message").asText()).contains("tool turns are not supported");
        assertThat(r.body().at("/error/param").asText()).isEqualTo("messages");
        Http.Reply tooLong = http.post("/v1/chat/completions", chat(HELLO).put("max_tokens", 250));
        assertThat(tooLong.status()).isEqualTo(400);
        assertThat(tooLong.body().at("/error/code").asText()).isEqualTo("context_length_exceeded");
    }

    @Test
    void aMessageTooLongForTheContextIsRefusedBeforeTokenizing() {
        long max = served.promptBudget().maxBytes();
        Http.Reply r = http.post("/v1/chat/completions",
                chat(List.of(Map.of("role", "user", "content", "a".repeat((int) max + 1)))).put("max_tokens", 1));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.body().at("/error/code").asText()).isEqualTo("context_length_exceeded");
        assertThat(r.body().at("/error/param").asText()).isEqualTo("messages");
        assertThat(r.body().at("/error/message").asText()).startsWith("The messages' content has more than " + max + " bytes")
                .contains("maximum context length of 256 tokens").contains("not tokenized");
        // messages that fit the budget alone but not once the template adds its text: refused after rendering
        String justUnder = "é".repeat((int) max / 2 - 4); // max - 8 bytes of UTF-8
        Http.Reply rendered = http.post("/v1/chat/completions",
                chat(List.of(Map.of("role", "user", "content", justUnder))).put("max_tokens", 1));
        assertThat(rendered.status()).isEqualTo(400);
        String bos = served.tokenizer().bosToken().orElse("");
        assertThat(rendered.body().at("/error/message").asText()).startsWith("The rendered chat prompt has "
                + (bos.length() + "<user>".length() + max - 8 + "\n<assistant>".length()) + " bytes");
        assertThat(http.post("/v1/chat/completions", chat(HELLO).put("max_tokens", 1)).status()).isEqualTo(200);
    }
}
