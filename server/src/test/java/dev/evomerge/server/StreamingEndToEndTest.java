package dev.evomerge.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.core.testing.GoldenModels;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** {@code stream: true} through a real server-sent-events client, checked against the non-streamed replies. */
class StreamingEndToEndTest {

    private static final String TEMPLATE = "{{ bos_token }}{% for m in messages %}<{{ m.role }}>{{ m.content }}\n"
            + "{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}";

    private static Path dir;
    private static ServedModel served;
    private static OpenAiServer server;
    private static Http http;
    private static SseClient sse;

    @BeforeAll
    static void start() throws IOException {
        Path golden = GoldenModels.model("llama-pico-base");
        dir = Files.createTempDirectory("evomerge-stream-model");
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
        sse = new SseClient(server.baseUrl());
    }

    @AfterAll
    static void stop() throws IOException {
        if (sse != null) {
            sse.close();
        }
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

    /** The events of a whole stream, parsed; the last must be [DONE] (checked and dropped). */
    private static List<JsonNode> streamed(String path, ObjectNode body) throws Exception {
        try (SseClient.Events events = sse.post(path, body)) {
            assertThat(events.status).isEqualTo(200);
            assertThat(events.contentType).startsWith("text/event-stream");
            List<String> data = events.rest();
            assertThat(data).isNotEmpty();
            assertThat(data.getLast()).isEqualTo("[DONE]");
            List<JsonNode> out = new ArrayList<>();
            for (String d : data.subList(0, data.size() - 1)) {
                out.add(Http.JSON.readTree(d));
            }
            return out;
        }
    }

    private static ObjectNode completion(String prompt, int maxTokens) {
        return Http.JSON.createObjectNode().put("prompt", prompt).put("max_tokens", maxTokens).put("temperature", 0);
    }

    @Test
    void completionChunksAddUpToTheWholeReply() throws Exception {
        ObjectNode req = completion("Once upon a time", 40).put("logprobs", 2);
        JsonNode whole = http.post("/v1/completions", req).body();
        ObjectNode streamReq = req.deepCopy().put("stream", true);
        streamReq.putObject("stream_options").put("include_usage", true);
        List<JsonNode> chunks = streamed("/v1/completions", streamReq);

        JsonNode usageChunk = chunks.getLast();
        assertThat(usageChunk.get("choices")).isEmpty();
        assertThat(usageChunk.get("usage")).isEqualTo(whole.get("usage"));
        List<JsonNode> choiceChunks = chunks.subList(0, chunks.size() - 1);
        assertThat(choiceChunks.size()).isGreaterThan(2);
        StringBuilder text = new StringBuilder();
        List<JsonNode> tokens = new ArrayList<>();
        List<JsonNode> values = new ArrayList<>();
        List<JsonNode> tops = new ArrayList<>();
        List<JsonNode> offsets = new ArrayList<>();
        for (int i = 0; i < choiceChunks.size(); i++) {
            JsonNode c = choiceChunks.get(i);
            assertThat(c.get("object").asText()).isEqualTo("text_completion");
            assertThat(c.get("id").asText()).startsWith("cmpl-");
            assertThat(c.has("usage")).isTrue();
            assertThat(c.get("usage").isNull()).isTrue();
            JsonNode choice = c.at("/choices/0");
            assertThat(choice.get("index").asInt()).isZero();
            boolean last = i == choiceChunks.size() - 1;
            assertThat(choice.get("finish_reason").isNull()).isEqualTo(!last);
            text.append(choice.get("text").asText());
            choice.at("/logprobs/tokens").forEach(tokens::add);
            choice.at("/logprobs/token_logprobs").forEach(values::add);
            choice.at("/logprobs/top_logprobs").forEach(tops::add);
            choice.at("/logprobs/text_offset").forEach(offsets::add);
        }
        JsonNode expected = whole.at("/choices/0");
        assertThat(text.toString()).isEqualTo(expected.get("text").asText()).isNotEmpty();
        assertThat(choiceChunks.getLast().at("/choices/0/finish_reason").asText())
                .isEqualTo(expected.get("finish_reason").asText());
        assertThat(tokens).containsExactlyElementsOf(expected.at("/logprobs/tokens"));
        assertThat(offsets).containsExactlyElementsOf(expected.at("/logprobs/text_offset"));
        // the same values up to the engine's float rounding between two runs (docs/serve.md: about 1e-6)
        assertThat(values).hasSize(expected.at("/logprobs/token_logprobs").size());
        assertThat(tops).hasSize(values.size());
        for (int k = 0; k < values.size(); k++) {
            assertThat(values.get(k).asDouble()).isCloseTo(expected.at("/logprobs/token_logprobs/" + k).asDouble(),
                    within(1e-5));
            JsonNode top = expected.at("/logprobs/top_logprobs/" + k);
            assertThat(tops.get(k).properties()).hasSize(top.size());
            for (var e : top.properties()) {
                assertThat(tops.get(k).get(e.getKey()).asDouble()).isCloseTo(e.getValue().asDouble(), within(1e-5));
            }
        }
    }

    @Test
    void aStopStringIsNeverStreamed() throws Exception {
        String free = http.post("/v1/completions", completion("Once upon a time", 40)).body()
                .at("/choices/0/text").asText();
        assertThat(free.length()).isGreaterThan(12);
        String stop = free.substring(8, 11);
        ObjectNode req = completion("Once upon a time", 40);
        req.putArray("stop").add(stop);
        JsonNode whole = http.post("/v1/completions", req).body();
        List<JsonNode> chunks = streamed("/v1/completions", req.deepCopy().put("stream", true));
        StringBuilder text = new StringBuilder();
        for (JsonNode c : chunks) {
            assertThat(c.has("usage")).isFalse();
            text.append(c.at("/choices/0/text").asText());
        }
        assertThat(text.toString()).isEqualTo(whole.at("/choices/0/text").asText()).doesNotContain(stop);
        assertThat(text.toString()).isEqualTo(free.substring(0, free.indexOf(stop)));
        assertThat(chunks.getLast().at("/choices/0/finish_reason").asText()).isEqualTo("stop");
    }

    @Test
    void chatChunksStartWithTheRoleAndAddUpToTheWholeReply() throws Exception {
        ObjectNode req = Http.JSON.createObjectNode().put("temperature", 0).put("max_tokens", 30)
                .put("logprobs", true).put("top_logprobs", 2);
        req.set("messages", Http.JSON.valueToTree(List.of(Map.of("role", "user", "content", "Hello there"))));
        JsonNode whole = http.post("/v1/chat/completions", req).body();
        ObjectNode streamReq = req.deepCopy().put("stream", true);
        streamReq.putObject("stream_options").put("include_usage", true);
        List<JsonNode> chunks = streamed("/v1/chat/completions", streamReq);

        assertThat(chunks.getFirst().at("/choices/0/delta/role").asText()).isEqualTo("assistant");
        assertThat(chunks.getLast().get("choices")).isEmpty();
        assertThat(chunks.getLast().get("usage")).isEqualTo(whole.get("usage"));
        List<JsonNode> body = chunks.subList(0, chunks.size() - 1);
        StringBuilder content = new StringBuilder();
        List<JsonNode> logprobs = new ArrayList<>();
        for (int i = 0; i < body.size(); i++) {
            JsonNode c = body.get(i);
            assertThat(c.get("object").asText()).isEqualTo("chat.completion.chunk");
            assertThat(c.get("id").asText()).startsWith("chatcmpl-");
            JsonNode choice = c.at("/choices/0");
            assertThat(choice.get("finish_reason").isNull()).isEqualTo(i < body.size() - 1);
            content.append(choice.at("/delta/content").asText(""));
            choice.at("/logprobs/content").forEach(logprobs::add);
        }
        JsonNode expected = whole.at("/choices/0");
        assertThat(content.toString()).isEqualTo(expected.at("/message/content").asText()).isNotEmpty();
        assertThat(body.getLast().at("/choices/0/finish_reason").asText())
                .isEqualTo(expected.get("finish_reason").asText());
        JsonNode expectedLogprobs = expected.at("/logprobs/content");
        assertThat(logprobs).hasSize(expectedLogprobs.size());
        for (int k = 0; k < logprobs.size(); k++) {
            JsonNode got = logprobs.get(k);
            JsonNode want = expectedLogprobs.get(k);
            assertThat(got.get("token")).isEqualTo(want.get("token"));
            assertThat(got.get("bytes")).isEqualTo(want.get("bytes"));
            assertThat(got.get("logprob").asDouble()).isCloseTo(want.get("logprob").asDouble(), within(1e-5));
            assertThat(got.get("top_logprobs")).hasSize(want.get("top_logprobs").size());
            for (int j = 0; j < want.get("top_logprobs").size(); j++) {
                assertThat(got.at("/top_logprobs/" + j + "/token")).isEqualTo(want.at("/top_logprobs/" + j + "/token"));
            }
        }
    }

    @Test
    void badStreamRequestsAreOrdinaryErrors() throws Exception {
        ObjectNode tooLong = completion("Once upon a time", 100_000).put("stream", true);
        Http.Reply r = http.post("/v1/completions", tooLong);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.body().at("/error/code").asText()).isEqualTo("context_length_exceeded");
        ObjectNode optionsAlone = completion("Once", 4);
        optionsAlone.putObject("stream_options").put("include_usage", true);
        assertThat(http.post("/v1/completions", optionsAlone).body().at("/error/message").asText())
                .isEqualTo("'stream_options' needs 'stream': true.");
        assertThat(http.post("/v1/completions", completion("Once", 4).put("stream", "yes")).status()).isEqualTo(400);
    }

    @Test
    void aStreamEndingAtEosLeavesTheEosOut() throws Exception {
        Tokenizer tok = served.tokenizer();
        int a = tok.tokenToId("a").orElseThrow();
        // after the two prompt tokens: "a", "a", "a", then EOS (id 2)
        ScriptedModel model = new ScriptedModel(256, 2, generated -> {
            double[] z = new double[256];
            z[generated.length < 3 ? a : 2] = 10;
            return z;
        });
        ServedModel scripted = new ServedModel("scripted", model, tok, Optional.empty());
        try (OpenAiServer s = OpenAiServer.start(scripted, ServerOptions.localDefaults());
             SseClient client = new SseClient(s.baseUrl())) {
            ObjectNode req = Http.JSON.createObjectNode().put("max_tokens", 10).put("temperature", 0)
                    .put("logprobs", 1).put("stream", true);
            req.putArray("prompt").add(1).add(a);
            List<String> data;
            try (SseClient.Events events = client.post("/v1/completions", req)) {
                data = events.rest();
            }
            assertThat(data.getLast()).isEqualTo("[DONE]");
            StringBuilder text = new StringBuilder();
            List<String> tokens = new ArrayList<>();
            String finish = null;
            for (String d : data.subList(0, data.size() - 1)) {
                JsonNode choice = Http.JSON.readTree(d).at("/choices/0");
                text.append(choice.get("text").asText());
                choice.at("/logprobs/tokens").forEach(t -> tokens.add(t.asText()));
                finish = choice.get("finish_reason").isNull() ? finish : choice.get("finish_reason").asText();
            }
            assertThat(text.toString()).isEqualTo("aaa");
            assertThat(tokens).containsExactly("a", "a", "a");
            assertThat(finish).isEqualTo("stop");
            assertThat(scripted.generatedTokens()).isEqualTo(4); // the EOS was generated, then left out
        }
    }

    @Test
    void aClientThatGoesAwayStopsTheGeneration() throws Exception {
        Tokenizer tok = served.tokenizer();
        int a = tok.tokenToId("a").orElseThrow();
        CountDownLatch clientGone = new CountDownLatch(1);
        // always "a"; the fourth token waits until the client has closed the stream, so the generation cannot
        // end before the client goes away (the server may notice before or after that token)
        ScriptedModel model = new ScriptedModel(256, 2, generated -> {
            if (generated.length == 3) {
                try {
                    assertThat(clientGone.await(60, TimeUnit.SECONDS)).isTrue();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            double[] z = new double[256];
            z[a] = 10;
            return z;
        });
        ServedModel scripted = new ServedModel("scripted", model, tok, Optional.empty());
        try (OpenAiServer s = OpenAiServer.start(scripted, ServerOptions.localDefaults())) {
            ObjectNode req = Http.JSON.createObjectNode().put("max_tokens", 200).put("temperature", 0)
                    .put("ignore_eos", true).put("stream", true);
            req.putArray("prompt").add(1).add(a);
            // a plain socket, closed with SO_LINGER 0 so that the connection is reset at once: the server's next
            // write must fail, whatever the client library would do on close
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", s.port())) {
                byte[] body = Http.JSON.writeValueAsBytes(req);
                socket.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Content-Type: application/json\r\nAccept: text/event-stream\r\nContent-Length: "
                        + body.length + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                socket.getOutputStream().write(body);
                socket.getOutputStream().flush();
                java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(
                        socket.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
                assertThat(in.readLine()).isEqualTo("HTTP/1.1 200 OK");
                String line;
                while ((line = in.readLine()) != null && !line.contains("data: ")) {
                    // headers, chunk sizes
                }
                assertThat(line).isNotNull();
                assertThat(Http.JSON.readTree(line.substring(line.indexOf("data: ") + 6))
                        .at("/choices/0/text").asText()).isEqualTo("a");
                socket.setSoLinger(true, 0);
            }
            clientGone.countDown();
            // the model thread runs one request at a time: this reply comes after the stream's generation ended
            ObjectNode after = Http.JSON.createObjectNode().put("max_tokens", 1).put("temperature", 0);
            after.putArray("prompt").add(1).add(a);
            assertThat(new Http(s.baseUrl()).post("/v1/completions", after).body().at("/choices/0/text").asText())
                    .isEqualTo("a");
            long streamedTokens = scripted.generatedTokens() - 1;
            assertThat(streamedTokens).isPositive().isLessThan(20);
        }
    }
}
