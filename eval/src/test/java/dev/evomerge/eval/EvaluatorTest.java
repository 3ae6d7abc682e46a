package dev.evomerge.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.eval.data.DatasetLoader;
import dev.evomerge.eval.model.LoglikelihoodAnswer;
import dev.evomerge.eval.task.TaskCatalog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** End-to-end scoring through a fake model whose answers are known, so every metric is checked by hand. */
class EvaluatorTest {

    @TempDir
    Path dir;

    private final List<String> warnings = new ArrayList<>();

    private EvaluationResults run(List<String> tasks, FakeLanguageModel model, EvaluationOptions options) {
        TaskCatalog catalog = TaskCatalog.load(List.of(dir), warnings::add);
        EvaluationListener listener = new EvaluationListener() {
            @Override
            public void warning(String message) {
                warnings.add(message);
            }

            @Override
            public dev.evomerge.eval.model.Progress phase(String name, int total) {
                return dev.evomerge.eval.model.Progress.NONE;
            }
        };
        return new Evaluator(new DatasetLoader(Optional.empty(), dir), listener)
                .evaluate(catalog.select(tasks), model, options);
    }

    private void writeMcTask() throws IOException {
        Files.writeString(dir.resolve("mc.yaml"), """
                task: mc
                dataset_path: json
                dataset_kwargs:
                  data_files:
                    train: train.jsonl
                    test: test.jsonl
                output_type: multiple_choice
                training_split: train
                fewshot_split: train
                test_split: test
                description: "Pick one.\\n\\n"
                doc_to_text: "Q: {{q}}"
                doc_to_target: gold
                doc_to_choice: choices
                num_fewshot: 2
                """);
        StringBuilder train = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            train.append("{\"q\": \"t").append(i).append("\", \"choices\": [\"x").append(i).append("\", \"y\"], \"gold\": 0}\n");
        }
        Files.writeString(dir.resolve("train.jsonl"), train);
        Files.writeString(dir.resolve("test.jsonl"), """
                {"q": "a?", "choices": ["a", "bbb"], "gold": 0}
                {"q": "c?", "choices": ["cc", "d"], "gold": 0}
                {"q": "e?", "choices": ["eee", "ff"], "gold": 1}
                """);
    }

    @Test
    void multipleChoiceAccAccNormStderrAndRandomFewshotAsLmEval() throws Exception {
        writeMcTask();
        FakeLanguageModel model = FakeLanguageModel.byLength();
        EvaluationResults r = run(List.of("mc"), model, EvaluationOptions.defaults().withLogSamples(true));
        // ll = -len(" " + choice): acc picks the shorter choice, acc_norm the longer one (see the class comment)
        assertThat(r.value("mc", "acc,none")).isEqualTo(2.0 / 3);
        assertThat(r.value("mc", "acc_norm,none")).isEqualTo(1.0 / 3);
        // sample sd of [1, 0, 1] is sqrt(1/3); / sqrt(3) = 1/3
        assertThat(r.task("mc").orElseThrow().metric("acc", "none").orElseThrow().stderr().getAsDouble())
                .isCloseTo(1.0 / 3, within(1e-15));
        // Python: r = random.Random(1234); [r.sample(range(6), 2) for _ in range(3)] == [[3, 0], [0, 5], [4, 0]]
        assertThat(model.loglikelihoodQueries.getFirst().context())
                .isEqualTo("Pick one.\n\nQ: t3 x3\n\nQ: t0 x0\n\nQ: a?");
        assertThat(model.loglikelihoodQueries.get(2).context()).isEqualTo("Pick one.\n\nQ: t0 x0\n\nQ: t5 x5\n\nQ: c?");
        assertThat(model.loglikelihoodQueries.get(4).context()).isEqualTo("Pick one.\n\nQ: t4 x4\n\nQ: t0 x0\n\nQ: e?");
        assertThat(model.loglikelihoodQueries.get(1).continuation()).isEqualTo(" bbb");
        JsonNode json = ResultsJson.parse(ResultsJson.toText(r, 0));
        assertThat(json.at("/results/mc/acc,none").asDouble()).isEqualTo(2.0 / 3);
        assertThat(json.at("/results/mc/acc_stderr,none").asDouble()).isCloseTo(1.0 / 3, within(1e-15));
        assertThat(json.at("/n-samples/mc/original").asInt()).isEqualTo(3);
        assertThat(json.at("/n-shot/mc").asInt()).isEqualTo(2);
        assertThat(json.at("/versions/mc").asText()).isEqualTo("Yaml");
        assertThat(json.at("/configs/mc/doc_to_text").asText()).isEqualTo("Q: {{q}}");
        assertThat(json.at("/higher_is_better/mc/acc").asBoolean()).isTrue();
        // lm-eval 0.4.13's per-task keys and its task hash over the logged samples' hashes
        assertThat(json.at("/results/mc/name").asText()).isEqualTo("mc");
        assertThat(json.at("/results/mc/sample_len").asInt()).isEqualTo(3);
        assertThat(json.at("/results/mc").has("samples")).isFalse();
        StringBuilder hashes = new StringBuilder();
        for (Map<String, Object> s : r.task("mc").orElseThrow().samples()) {
            hashes.append(s.get("doc_hash")).append(s.get("prompt_hash")).append(s.get("target_hash"));
        }
        assertThat(json.at("/task_hashes/mc").asText()).isEqualTo(java.util.HexFormat.of().formatHex(
                java.security.MessageDigest.getInstance("SHA-256").digest(
                        hashes.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8))));
        assertThat(json.at("/model_source").asText()).isEqualTo("fake");
        assertThat(json.at("/fewshot_as_multiturn").isNull()).isTrue();
        assertThat(json.at("/chat_template").isNull()).isTrue();
        assertThat(json.at("/config/batch_sizes").isArray()).isTrue();
        List<Map<String, Object>> samples = r.task("mc").orElseThrow().samples();
        assertThat(samples).hasSize(3);
        assertThat(samples.getFirst()).containsEntry("doc_id", 0).containsEntry("filter", "none")
                .containsEntry("acc", 1.0).containsEntry("acc_norm", 0.0).containsKey("doc_hash");
        assertThat(samples.getFirst().get("filtered_resps")).isEqualTo(List.of(List.of(-2.0, false), List.of(-4.0, false)));
    }

    @Test
    void limitNumFewshotOverrideAndFirstN() throws IOException {
        writeMcTask();
        FakeLanguageModel model = FakeLanguageModel.byLength();
        EvaluationResults r = run(List.of("mc"), model, EvaluationOptions.defaults().withLimit(2).withNumFewshot(0));
        assertThat(r.task("mc").orElseThrow().nEffective()).isEqualTo(2);
        assertThat(r.task("mc").orElseThrow().nShot()).isZero();
        assertThat(model.loglikelihoodQueries).hasSize(4);
        assertThat(model.loglikelihoodQueries.getFirst().context()).isEqualTo("Pick one.\n\nQ: a?");
        assertThat(new EvaluationOptions(java.util.OptionalInt.empty(), java.util.OptionalDouble.of(0.5), 0, 1234,
                false, false).effectiveCount(3)).isEqualTo(2);
    }

    @Test
    void aShuffleSeedMakesLimitTakeTheSameSeededRandomSubsetEveryTime() throws IOException {
        Files.writeString(dir.resolve("many.yaml"), """
                task: many
                dataset_path: json
                dataset_kwargs:
                  data_files:
                    test: many.jsonl
                output_type: multiple_choice
                test_split: test
                doc_to_text: "Q: {{q}}"
                doc_to_target: 0
                doc_to_choice: ["a", "bb"]
                """);
        StringBuilder docs = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            docs.append("{\"q\": \"d").append(i).append("\"}\n");
        }
        Files.writeString(dir.resolve("many.jsonl"), docs);
        EvaluationOptions limited = EvaluationOptions.defaults().withLimit(5).withLogSamples(true).withBootstrapIters(0);
        assertThat(evaluatedQuestions(limited)).containsExactly("d0", "d1", "d2", "d3", "d4");
        // Python: random.Random(7).sample(range(20), 5) == [10, 4, 12, 1, 2]; with seed 8: [7, 11, 12, 4, 6]
        assertThat(evaluatedQuestions(limited.withShuffleSeed(7))).containsExactly("d10", "d4", "d12", "d1", "d2");
        assertThat(evaluatedQuestions(limited.withShuffleSeed(7))).containsExactly("d10", "d4", "d12", "d1", "d2");
        assertThat(evaluatedQuestions(limited.withShuffleSeed(8))).containsExactly("d7", "d11", "d12", "d4", "d6");
        // The seed survives the other option setters.
        assertThat(limited.withShuffleSeed(7).withNumFewshot(0).withLimit(3).withChatTemplate(false).shuffleSeed())
                .hasValue(7);
    }

    private List<Object> evaluatedQuestions(EvaluationOptions options) {
        TaskResult t = run(List.of("many"), FakeLanguageModel.byLength(), options).task("many").orElseThrow();
        assertThat(t.nOriginal()).isEqualTo(20);
        assertThat(t.nEffective()).isEqualTo(5);
        return t.samples().stream().map(s -> ((Map<?, ?>) s.get("doc")).get("q")).map(Object.class::cast).toList();
    }

    @Test
    void bundledGsm8kStyleFiltersAndExactMatch() {
        Map<String, String> outputs = Map.of(
                "Ben", "5 * 6 = 30 pages.\n#### 30",
                "shop", "12 + 9 = 20\n#### 20",
                "Mia", "She has 32 dollars left.",
                "rows", "4 * 7 = 28\n#### 28.\nQuestion: what",
                "rope", "#### 9",
                "farmer", "1,200 - 450 = 750\n#### 750");
        FakeLanguageModel model = new FakeLanguageModel(q -> new LoglikelihoodAnswer(-1, false), t -> -1,
                q -> outputs.entrySet().stream().filter(e -> q.context().endsWith(question(q.context(), e.getKey())))
                        .findFirst().map(Map.Entry::getValue).orElseThrow());
        EvaluationResults r = run(List.of("toy_gsm8k"), model, EvaluationOptions.defaults());
        assertThat(r.value("toy_gsm8k", "exact_match,strict-match")).isEqualTo(4.0 / 6);
        assertThat(r.value("toy_gsm8k", "exact_match,flexible-extract")).isEqualTo(5.0 / 6);
        String first = model.generationQueries.getFirst().context();
        assertThat(first).startsWith("Question: Tom has 3 apples and buys 4 more. How many apples does he have?\n"
                + "Answer: Tom starts with 3 apples.\nHe buys 4 more, so 3 + 4 = 7.\n#### 7\n\n"
                + "Question: A box holds 6 pens.");
        assertThat(first).endsWith("\n\nQuestion: Ben reads 5 pages a day for 6 days. How many pages does he read?\nAnswer:");
        assertThat(model.generationQueries.getFirst().until()).containsExactly("Question:", "</s>", "<|im_end|>");
        assertThat(model.generationQueries.getFirst().maxGenToks()).isEqualTo(24);
    }

    private static String question(String context, String key) {
        int at = context.lastIndexOf("Question: ");
        return context.substring(at).contains(key) ? context.substring(at) : "\u0000";
    }

    @Test
    void bundledKobestArcGroupAndMacroF1() {
        FakeLanguageModel model = FakeLanguageModel.byLength();
        EvaluationResults r = run(List.of("toy"), model, EvaluationOptions.defaults());
        // byLength picks " 예" (2 chars) over " 아니오" (4): acc = share of label 1 = 4/8
        assertThat(r.value("toy_kobest_boolq", "acc,none")).isEqualTo(0.5);
        // all predictions 1: F1(label 1) = 8/12, F1(label 0) = 0, macro = 1/3; no stderr for this aggregation
        assertThat(r.value("toy_kobest_boolq", "f1,none")).isCloseTo(1.0 / 3, within(1e-15));
        assertThat(r.task("toy_kobest_boolq").orElseThrow().metric("f1", "none").orElseThrow().stderr()).isEmpty();
        // toy_arc with the shortest-choice rule: 1 of 8 (computed in Python from the data file)
        assertThat(r.value("toy_arc", "acc,none")).isEqualTo(0.125);
        GroupResult g = r.groups().getFirst();
        assertThat(g.name()).isEqualTo("toy");
        assertThat(g.metrics().getFirst().value()).isEqualTo((8 * 0.125 + 8 * 0.5) / 16);
        assertThat(ResultsTable.markdown(r)).contains("|toy_arc").contains("|acc_norm|").contains("Groups");
        JsonNode json = ResultsJson.parse(ResultsJson.toText(r, 0));
        assertThat(json.at("/results/toy_arc/sample_len").asInt()).isEqualTo(8);
        // a group's sample_len sums its leaf tasks', in results and in groups
        assertThat(json.at("/results/toy/sample_len").asInt()).isEqualTo(16);
        assertThat(json.at("/groups/toy/name").asText()).isEqualTo("toy");
        assertThat(json.at("/groups/toy/sample_len").asInt()).isEqualTo(16);
        assertThat(json.at("/task_hashes").size()).isZero();
        assertThat(json.at("/groups/toy/sample_count/acc,none").asInt()).isEqualTo(16);
        // lm-eval 0.4.13 lists groups only, and gives a group its members' n-shot and higher_is_better
        assertThat(json.at("/group_subtasks").has("toy_arc")).isFalse();
        assertThat(json.at("/n-shot/toy").asInt()).isZero();
        assertThat(json.at("/higher_is_better/toy/acc_norm").asBoolean()).isTrue();
        assertThat(json.at("/higher_is_better/toy/f1").asBoolean()).isTrue();
        List<String> versions = new ArrayList<>();
        json.get("versions").fieldNames().forEachRemaining(versions::add);
        assertThat(versions).isSorted().contains("toy", "toy_arc", "toy_kobest_boolq");
        assertThat(json.at("/versions/toy").isTextual()).isTrue();
        assertThat(json.at("/versions/toy").asText()).isEqualTo("1.0");
        assertThat(json.at("/versions/toy_arc").asDouble()).isEqualTo(1.0);
        // the kobest context ends with a space and the delimiter adds one: the model sees both
        assertThat(model.loglikelihoodQueries).anySatisfy(q -> {
            assertThat(q.context()).endsWith("답변: ");
            assertThat(q.continuation()).isEqualTo(" 예");
        });
    }

    @Test
    void bundledWikitextStylePerplexities() {
        FakeLanguageModel model = FakeLanguageModel.byLength();
        EvaluationResults r = run(List.of("toy_wikitext"), model, EvaluationOptions.defaults());
        // ll = -len(page); words by re.split(r"\s+") = [32, 29, 26, 18]; values from Python
        assertThat(r.value("toy_wikitext", "word_perplexity,none")).isCloseTo(71.96576185976667, within(1e-9));
        assertThat(r.value("toy_wikitext", "byte_perplexity,none")).isCloseTo(2.3913179565168505, within(1e-12));
        assertThat(r.value("toy_wikitext", "bits_per_byte,none")).isCloseTo(1.2578059676876594, within(1e-12));
        assertThat(r.task("toy_wikitext").orElseThrow().metric("bits_per_byte", "none").orElseThrow()
                .higherIsBetter()).isFalse();
    }

    @Test
    void nanFromTheModelIsAnErrorNotAZero() throws IOException {
        writeMcTask();
        FakeLanguageModel model = new FakeLanguageModel(q -> new LoglikelihoodAnswer(Double.NaN, false), t -> 0,
                q -> "");
        assertThatThrownBy(() -> run(List.of("mc"), model, EvaluationOptions.defaults()))
                .isInstanceOf(EvomergeException.class)
                .hasMessageContaining("returned a log-likelihood of NaN")
                .hasMessageContaining("no metric is reported");
    }

    @Test
    void emptySplitAndBadGoldAreErrors() throws IOException {
        writeMcTask();
        Files.writeString(dir.resolve("test.jsonl"), "");
        assertThatThrownBy(() -> run(List.of("mc"), FakeLanguageModel.byLength(), EvaluationOptions.defaults()))
                .hasMessageContaining("task mc: split 'test'").hasMessageContaining("has no documents");
        Files.writeString(dir.resolve("test.jsonl"), "{\"q\": \"a?\", \"choices\": [\"a\", \"b\"], \"gold\": 2}\n");
        assertThatThrownBy(() -> run(List.of("mc"), FakeLanguageModel.byLength(), EvaluationOptions.defaults()))
                .hasMessageContaining("document 0 has gold answer index 2, outside its 2 choices");
    }

    @Test
    void chatTemplatePutsDescriptionInSystemAndDropsTheDelimiter() throws IOException {
        writeMcTask();
        List<List<dev.evomerge.engine.chat.ChatMessage>> rendered = new ArrayList<>();
        FakeLanguageModel base = FakeLanguageModel.byLength();
        dev.evomerge.eval.model.LanguageModel chat = new dev.evomerge.eval.model.LanguageModel() {
            @Override
            public String name() {
                return "chat";
            }

            @Override
            public List<LoglikelihoodAnswer> loglikelihood(List<dev.evomerge.eval.model.LoglikelihoodQuery> q,
                                                           dev.evomerge.eval.model.Progress p) {
                return base.loglikelihood(q, p);
            }

            @Override
            public List<Double> loglikelihoodRolling(List<String> texts, dev.evomerge.eval.model.Progress p) {
                return base.loglikelihoodRolling(texts, p);
            }

            @Override
            public List<String> generate(List<dev.evomerge.eval.model.GenerationQuery> q, dev.evomerge.eval.model.Progress p) {
                return base.generate(q, p);
            }

            @Override
            public String applyChatTemplate(List<dev.evomerge.engine.chat.ChatMessage> messages, boolean addGenerationPrompt) {
                rendered.add(messages);
                StringBuilder sb = new StringBuilder();
                messages.forEach(m -> sb.append('<').append(m.role()).append('>').append(m.content()));
                return sb.append(addGenerationPrompt ? "<assistant>" : "").toString();
            }
        };
        TaskCatalog catalog = TaskCatalog.load(List.of(dir), warnings::add);
        new Evaluator(new DatasetLoader(Optional.empty(), dir), EvaluationListener.QUIET)
                .evaluate(catalog.select(List.of("mc")), chat, EvaluationOptions.defaults().withChatTemplate(true)
                        .withNumFewshot(1).withLimit(1));
        assertThat(rendered).hasSize(1);
        assertThat(rendered.getFirst()).extracting(dev.evomerge.engine.chat.ChatMessage::role)
                .containsExactly("system", "user");
        assertThat(rendered.getFirst().getFirst().content()).isEqualTo("Pick one.\n\n");
        // Python: random.Random(1234).sample(range(6), 1) == [3]
        assertThat(rendered.getFirst().get(1).content()).isEqualTo("Q: t3 x3\n\nQ: a?");
        assertThat(base.loglikelihoodQueries.getFirst().context())
                .isEqualTo("<system>Pick one.\n\n<user>Q: t3 x3\n\nQ: a?<assistant>");
        assertThat(base.loglikelihoodQueries).extracting(dev.evomerge.eval.model.LoglikelihoodQuery::continuation)
                .containsExactly("a", "bbb");
    }

    @Test
    void truthfulqaMc2ThroughTheBuiltinProcessResults() throws IOException {
        Files.writeString(dir.resolve("tqa.yaml"), """
                task: tqa_mc2
                dataset_path: json
                dataset_kwargs:
                  data_files:
                    validation: tqa.jsonl
                output_type: multiple_choice
                validation_split: validation
                doc_to_text: "Q: {{question}}\\nA:"
                doc_to_target: 0
                doc_to_choice: "{{mc2_targets.choices}}"
                process_results: !function utils.process_results_mc2
                metric_list:
                  - metric: acc
                    aggregation: mean
                    higher_is_better: true
                """);
        Files.writeString(dir.resolve("tqa.jsonl"),
                "{\"question\": \"q\", \"mc2_targets\": {\"choices\": [\"t1\", \"t2\", \"f1\", \"f2\"], \"labels\": [1, 1, 0, 0]}}\n");
        Map<String, Double> lls = Map.of(" t1", -1.0, " t2", -2.0, " f1", -1.5, " f2", -3.0);
        FakeLanguageModel model = new FakeLanguageModel(q -> new LoglikelihoodAnswer(lls.get(q.continuation()), false),
                t -> 0, q -> "");
        EvaluationResults r = run(List.of("tqa_mc2"), model, EvaluationOptions.defaults());
        // (e^-1 + e^-2) / (e^-1 + e^-2 + e^-1.5 + e^-3), computed in Python
        assertThat(r.value("tqa_mc2", "acc,none")).isCloseTo(0.6483623338944073, within(1e-15));
    }
}
