package dev.evomerge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.core.synth.ModelSynthesizer;
import dev.evomerge.core.synth.SynthModelSpec;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.server.OpenAiServer;
import dev.evomerge.server.ServedModel;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.server.ServerOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Iterator;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

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

    /**
     * A server whose model has 64 positions, documents several times longer than that, and every output type: the
     * same --max-length gives the same requests on both backends, so the same numbers.
     */
    @Test
    void sameMaxLengthGivesTheSameNumbersOnBothBackendsForEveryOutputType() throws IOException {
        Path model = dir.resolve("model64");
        ModelSynthesizer.write(SynthModelSpec.defaults().withLayers(2).withSeed(12), model);
        ObjectNode config = (ObjectNode) JSON.readTree(model.resolve("config.json").toFile());
        config.put("max_position_embeddings", 64);
        Files.writeString(model.resolve("config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config));
        Path tasks = longDocumentTasks();
        // rolling: long documents; multiple_choice: toy_arc; generate_until: toy_gsm8k, whose 2-shot prompts
        // are longer than the window and are cut to their last max-length - max_gen_toks tokens
        String taskList = "long_docs,toy_arc,toy_gsm8k";
        try (ServedModel served = ServedModel.load(model, "synth64", LoadOptions.defaults().withThreads(1));
             OpenAiServer server = OpenAiServer.start(served, ServerOptions.localDefaults())) {
            String url = server.baseUrl() + "/v1";
            Map<String, JsonNode> byWindow = new java.util.HashMap<>();
            for (String maxLength : new String[] {"62", "30"}) {
                Path local = evalRun("embedded-" + maxLength, model, tasks, taskList, "--max-length", maxLength);
                Path remote = evalRun("remote-" + maxLength, model, tasks, taskList, "--max-length", maxLength,
                        "--backend", "openai-completions", "--base-url", url, "--model-name", "synth64",
                        "--batch-size", "3");
                int compared = sameSamples(local, remote);
                assertThat(compared).isGreaterThan(40);
                JsonNode a = results(local);
                JsonNode b = results(remote);
                assertThat(a.at("/config/model_args").asText()).endsWith("max_length=" + maxLength);
                assertThat(b.at("/config/model_args").asText()).endsWith("max_length=" + maxLength);
                for (String key : new String[] {"/results/toy_arc/acc,none", "/results/toy_arc/acc_norm,none",
                        "/results/toy_gsm8k/exact_match,strict-match", "/results/toy_gsm8k/exact_match,flexible-extract"}) {
                    assertThat(b.at(key).asDouble()).as(key).isEqualTo(a.at(key).asDouble());
                }
                for (String metric : new String[] {"word_perplexity", "byte_perplexity", "bits_per_byte"}) {
                    double x = a.at("/results/long_docs/" + metric + ",none").asDouble();
                    assertThat(x).as(metric).isFinite().isPositive();
                    assertThat(b.at("/results/long_docs/" + metric + ",none").asDouble()).as(metric)
                            .isCloseTo(x, within(RELATIVE * Math.abs(x)));
                }
                byWindow.put(maxLength, a);
            }
            // the window decides the numbers: 62 and 30 tokens give other perplexities
            assertThat(byWindow.get("30").at("/results/long_docs/word_perplexity,none").asDouble())
                    .isNotCloseTo(byWindow.get("62").at("/results/long_docs/word_perplexity,none").asDouble(),
                            within(1e-3));

            // no --max-length: the window is what the server can score, its max_model_len 64 minus 2
            Path defaulted = evalRun("remote-default", model, tasks, "long_docs", "--backend", "openai-completions",
                    "--base-url", url, "--model-name", "synth64");
            assertThat(results(defaulted).at("/config/model_args").asText()).endsWith("max_length=62");
            assertThat(results(defaulted).at("/results/long_docs/word_perplexity,none").asDouble())
                    .isCloseTo(byWindow.get("62").at("/results/long_docs/word_perplexity,none").asDouble(),
                            within(RELATIVE * byWindow.get("62").at("/results/long_docs/word_perplexity,none").asDouble()));

            // a window the server cannot take is refused before any request, naming what fits
            CliRun tooLong = CliRun.run("eval", "--backend", "openai-completions", "--base-url", url, "--model",
                    model.toString(), "--model-name", "synth64", "--include-path", tasks.toString(), "--tasks",
                    "long_docs", "--max-length", "63");
            assertThat(tooLong.exit()).isEqualTo(2);
            assertThat(tooLong.err()).contains("--max-length 63 does not fit the server at " + url)
                    .contains("context of 64 tokens (max_model_len)").contains("use --max-length 62 or less");
            assertThat(tooLong.err().strip().lines()).hasSize(1);
        }
        CliRun embeddedTooLong = CliRun.run("eval", "--model", model.toString(), "--include-path", tasks.toString(),
                "--tasks", "long_docs", "--max-length", "65", "--threads", "1");
        assertThat(embeddedTooLong.exit()).isEqualTo(2);
        assertThat(embeddedTooLong.err()).contains("--max-length 65 is more than the 64 positions of model " + model);
    }

    /**
     * The two paths score the same tokens but group the float32 arithmetic differently: the engine computes a
     * context once and forks its KV cache for the continuation, the server runs the whole window in one pass. Each
     * token's log-probability may then differ by a few float32 ulps (1.2e-7 relative), and a window sums at most 63
     * of them, which bounds the difference below 1e-5 relative (measured: at most 2e-7). The transport is exact:
     * JSON numbers round-trip doubles. Texts, greedy flags and accuracies must be equal.
     */
    private static final double RELATIVE = 1e-5;

    private static final ObjectMapper JSON = new ObjectMapper();

    private Path longDocumentTasks() throws IOException {
        Path tasks = Files.createDirectories(dir.resolve("long-tasks"));
        String[] words = {"river", "lantern", "bread", "market", "valley", "festival", "morning", "paper", "water",
                "quiet", "farm", "town", "light", "frame", "country", "baker"};
        java.util.Random random = new java.util.Random(3);
        StringBuilder data = new StringBuilder();
        for (int doc = 0; doc < 4; doc++) {
            StringBuilder page = new StringBuilder(" = Document " + doc + " = \n");
            for (int w = 0; w < 120 + 40 * doc; w++) {
                page.append(' ').append(words[random.nextInt(words.length)]);
                if (w % 11 == 10) {
                    page.append(" .");
                }
            }
            data.append(JSON.writeValueAsString(Map.of("page", page.append(" \n").toString()))).append('\n');
        }
        Files.writeString(tasks.resolve("long_docs.jsonl"), data);
        Files.writeString(tasks.resolve("long_docs.yaml"), """
                task: long_docs
                dataset_path: json
                dataset_kwargs:
                  data_files:
                    test: long_docs.jsonl
                output_type: loglikelihood_rolling
                test_split: test
                doc_to_text: ""
                doc_to_target: "{{page}}"
                metric_list:
                  - metric: word_perplexity
                  - metric: byte_perplexity
                  - metric: bits_per_byte
                """);
        return tasks;
    }

    private Path evalRun(String name, Path model, Path tasks, String taskList, String... more) {
        Path out = dir.resolve(name).resolve("results.json");
        List<String> args = new java.util.ArrayList<>(List.of("eval", "--model", model.toString(), "--include-path",
                tasks.toString(), "--tasks", taskList, "--limit", "4", "--log-samples", "--output-path", out.toString()));
        if (!List.of(more).contains("--backend")) {
            args.addAll(List.of("--threads", "1"));
        }
        args.addAll(List.of(more));
        run(args.toArray(String[]::new));
        return out;
    }

    private static JsonNode results(Path file) throws IOException {
        return JSON.readTree(file.toFile());
    }

    /** Every sample's arguments, responses and filtered responses agree; returns how many numbers were compared. */
    private static int sameSamples(Path local, Path remote) throws IOException {
        Map<String, List<String>> a = samples(local.getParent());
        Map<String, List<String>> b = samples(remote.getParent());
        assertThat(b.keySet()).isEqualTo(a.keySet()).hasSize(3);
        int[] numbers = new int[1];
        for (String task : a.keySet()) {
            // one line per document and filter (toy_gsm8k has two filters)
            assertThat(b.get(task)).as(task).hasSameSizeAs(a.get(task)).hasSize(task.equals("toy_gsm8k") ? 8 : 4);
            for (int i = 0; i < a.get(task).size(); i++) {
                JsonNode x = JSON.readTree(a.get(task).get(i));
                JsonNode y = JSON.readTree(b.get(task).get(i));
                for (String field : new String[] {"arguments", "resps", "filtered_resps"}) {
                    same(task + " doc " + i + " " + field, x.get(field), y.get(field), numbers);
                }
            }
        }
        return numbers[0];
    }

    private static Map<String, List<String>> samples(Path folder) throws IOException {
        Map<String, List<String>> out = new java.util.TreeMap<>();
        try (var files = Files.list(folder)) {
            for (Path p : files.filter(f -> f.getFileName().toString().startsWith("samples_")).toList()) {
                String name = p.getFileName().toString();
                out.put(name.substring("samples_".length(), name.lastIndexOf('_')), Files.readAllLines(p));
            }
        }
        return out;
    }

    private static void same(String where, JsonNode x, JsonNode y, int[] numbers) {
        assertThat(y).as(where).isNotNull();
        if (x.isNumber() && y.isNumber()) {
            double v = x.asDouble();
            assertThat(v).as(where).isFinite();
            assertThat(y.asDouble()).as(where).isCloseTo(v, within(RELATIVE * Math.max(1, Math.abs(v))));
            numbers[0]++;
        } else if (x.isArray()) {
            assertThat(y.size()).as(where).isEqualTo(x.size());
            for (int i = 0; i < x.size(); i++) {
                same(where + "[" + i + "]", x.get(i), y.get(i), numbers);
            }
        } else if (x.isObject()) {
            assertThat(y.size()).as(where).isEqualTo(x.size());
            x.properties().forEach(e -> same(where + "." + e.getKey(), e.getValue(), y.get(e.getKey()), numbers));
        } else {
            assertThat(y).as(where).isEqualTo(x);
        }
    }
}
