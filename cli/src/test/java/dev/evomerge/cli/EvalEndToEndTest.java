package dev.evomerge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.core.synth.ModelSynthesizer;
import dev.evomerge.core.synth.SynthModelSpec;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.server.OpenAiServer;
import dev.evomerge.server.ServedModel;
import dev.evomerge.server.ServerOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The same tasks on the same model through the in-JVM engine and through a real {@code evomerge serve} on
 * 127.0.0.1 (OpenAI completions with token-id prompts, echo and logprobs) give the same metrics.
 */
class EvalEndToEndTest {

    @TempDir
    Path dir;

    private static int run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        assertThat(exit).as(err.toString()).isZero();
        return exit;
    }

    @Test
    void embeddedAndOpenAiCompletionsAgainstEvomergeServeAgree() throws IOException {
        Path model = dir.resolve("model");
        ModelSynthesizer.write(SynthModelSpec.defaults().withLayers(2).withSeed(11), model);
        Path task = dir.resolve("teacher-task");
        run("synth", "task", "mc", task.toString(), "--teacher", model.toString(), "--rows", "6", "--seed", "4",
                "--threads", "1");
        String tasks = "toy_arc,toy_kobest_boolq,toy_gsm8k,toy_wikitext,synth_mc";
        Path embedded = dir.resolve("embedded.json");
        run("eval", "--model", model.toString(), "--include-path", task.toString(), "--tasks", tasks, "--limit", "4",
                "--output-path", embedded.toString(), "--threads", "1");
        Path remote = dir.resolve("remote.json");
        try (ServedModel served = ServedModel.load(model, "synth", LoadOptions.defaults().withThreads(1));
             OpenAiServer server = OpenAiServer.start(served, ServerOptions.localDefaults())) {
            run("eval", "--backend", "openai-completions", "--base-url", server.baseUrl() + "/v1", "--model",
                    model.toString(), "--model-name", "synth", "--include-path", task.toString(), "--tasks", tasks,
                    "--limit", "4", "--batch-size", "4", "--output-path", remote.toString());
        }
        JsonNode a = new ObjectMapper().readTree(embedded.toFile()).get("results");
        JsonNode b = new ObjectMapper().readTree(remote.toFile()).get("results");
        assertThat(b.size()).isEqualTo(a.size()).isEqualTo(5);
        int compared = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = a.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> t = it.next();
            for (Iterator<Map.Entry<String, JsonNode>> m = t.getValue().properties().iterator(); m.hasNext(); ) {
                Map.Entry<String, JsonNode> e = m.next();
                JsonNode other = b.get(t.getKey()).get(e.getKey());
                assertThat(other).as(t.getKey() + " " + e.getKey()).isNotNull();
                if (e.getValue().isNumber() && e.getKey().startsWith("acc") || e.getKey().startsWith("exact_match")
                        || e.getKey().startsWith("f1")) {
                    assertThat(other.asDouble()).as(t.getKey() + " " + e.getKey()).isEqualTo(e.getValue().asDouble());
                    compared++;
                } else if (e.getValue().isNumber()) {
                    // perplexities: the two paths sum float32 log-probabilities computed in different groupings
                    assertThat(other.asDouble()).as(t.getKey() + " " + e.getKey())
                            .isCloseTo(e.getValue().asDouble(), org.assertj.core.data.Percentage.withPercentage(1e-4));
                    compared++;
                }
            }
        }
        assertThat(compared).isGreaterThanOrEqualTo(12);
        // the teacher-labelled task: the teacher itself is perfect through both backends
        assertThat(b.at("/synth_mc/acc,none").asDouble()).isEqualTo(1.0);
    }
}
