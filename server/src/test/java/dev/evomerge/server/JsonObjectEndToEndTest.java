package dev.evomerge.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.core.synth.ModelSynthesizer;
import dev.evomerge.core.synth.SynthModelSpec;
import dev.evomerge.engine.LoadOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * json_object through a real HTTP client on a random synthetic model with a byte-level vocabulary of all 256
 * bytes, the setting in which partial UTF-8 tokens (each decoding to U+FFFD) used to pass for JSON.
 */
class JsonObjectEndToEndTest {

    @Test
    void aRandomByteLevelModelAnswersWithJson(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("model");
        ModelSynthesizer.write(SynthModelSpec.defaults(), model);
        try (ServedModel served = ServedModel.load(model, "synth", LoadOptions.defaults().withThreads(1));
             OpenAiServer server = OpenAiServer.start(served, ServerOptions.localDefaults());
             SseClient sse = new SseClient(server.baseUrl())) {
            Http http = new Http(server.baseUrl());
            int complete = 0;
            for (double temperature : new double[] {0, 0.7, 1.0}) {
                for (int seed = 1; seed <= 3; seed++) {
                    ObjectNode req = Http.JSON.createObjectNode().put("temperature", temperature).put("seed", seed)
                            .put("max_tokens", 40);
                    req.set("messages", Http.JSON.valueToTree(List.of(Map.of("role", "user", "content",
                            "Give me a JSON object"))));
                    req.putObject("response_format").put("type", "json_object");
                    JsonNode r = http.post("/v1/chat/completions", req).body();
                    String content = r.at("/choices/0/message/content").asText();
                    String finish = r.at("/choices/0/finish_reason").asText();
                    String where = "temperature " + temperature + ", seed " + seed + ": " + content;
                    if (finish.equals("stop")) {
                        complete++;
                        assertThat(JsonPrefix.check(content)).as(where)
                                .isEqualTo(new JsonPrefix.Complete(content.length()));
                        assertThat(Http.JSON.readTree(content).isObject()).as(where).isTrue();
                        assertThat(content).as(where).doesNotContain("\uFFFD");
                    } else {
                        assertThat(finish).isEqualTo("length");
                        assertThat(r.at("/usage/completion_tokens").asInt()).isGreaterThanOrEqualTo(40);
                        // only the last character may be unfinished (max_tokens cut it), and only inside a string
                        String head = content.endsWith("\uFFFD") ? content.substring(0, content.length() - 1)
                                : content;
                        assertThat(head).as(where).doesNotContain("\uFFFD");
                        assertThat(JsonPrefix.check(content)).as(where).isInstanceOf(JsonPrefix.Partial.class);
                    }
                    assertThat(content.strip()).as(where).startsWith("{");
                    // the stream of the same request carries the same content
                    StringBuilder streamed = new StringBuilder();
                    try (SseClient.Events events = sse.post("/v1/chat/completions", req.deepCopy()
                            .put("stream", true))) {
                        List<String> data = events.rest();
                        assertThat(data.getLast()).isEqualTo("[DONE]");
                        for (String d : data.subList(0, data.size() - 1)) {
                            streamed.append(Http.JSON.readTree(d).at("/choices/0/delta/content").asText(""));
                        }
                    }
                    assertThat(streamed.toString()).as(where).isEqualTo(content);
                }
            }
            assertThat(complete).as("replies that closed their object").isPositive();
        }
    }
}
