package dev.evomerge.merge.vocab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.core.model.ModelConfig;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.merge.MergeOptions;
import dev.evomerge.merge.MergeSession;
import dev.evomerge.merge.config.MergeConfigReader;
import dev.evomerge.merge.testing.TestModels;
import dev.evomerge.merge.testing.TestModels.Values;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Tokenizer configs end to end (the rules: docs/merging.md, "What a config may contain"): output vocabulary for
 * base / model / union sources, stripping to the config's vocab_size, embedding rows re-indexed per model with the
 * default-row rules, token overrides, padding rows, vocab_size in config.json and the written tokenizer files. A
 * linear merge with equal weights makes every output row the mean of the three models' re-indexed rows.
 */
class VocabularyTest {

    @TempDir
    static Path dir;
    static Path base;
    static Path x;
    static Path y;
    static final int HIDDEN = TestModels.HIDDEN;

    @BeforeAll
    static void models() {
        Path template = TestModels.base(dir, "template", 1, DType.F32, 51);
        base = VocabModels.write(template, dir.resolve("base"), 1, List.of("<unk>", "a", "b", "c", "d", "<UNUSED>"), 5,
                List.of());
        x = VocabModels.write(template, dir.resolve("x"), 2, List.of("<unk>", "a", "c", "e", "f", "<|im_start|>"), 6,
                List.of("<|im_start|>"));
        y = VocabModels.write(template, dir.resolve("y"), 3, List.of("<unk>", "a", "e", "h"), 4, List.of());
    }

    private final List<String> warnings = new ArrayList<>();

    private Path merge(String tokenizerYaml, String name) {
        String yaml = """
                merge_method: linear
                base_model: %s
                models:
                  - {model: %s, parameters: {weight: 1}}
                  - {model: %s, parameters: {weight: 1}}
                  - {model: %s, parameters: {weight: 1}}
                %s
                """.formatted(base, base, x, y, tokenizerYaml);
        Path out = dir.resolve(name);
        try (MergeSession s = MergeSession.open(MergeConfigReader.parse(yaml, "cfg.yml", warnings::add),
                MergeOptions.defaults().withThreads(1), warnings::add)) {
            s.writeModel(out);
        }
        return out;
    }

    /** Checks row {@code id} of both embeddings against {@code 100*m + code(token) + h/100} with m given. */
    private static void row(Map<String, Values> got, int id, double modelPart, String token) {
        for (String name : List.of("model.embed_tokens.weight", "lm_head.weight")) {
            Values v = got.get(name);
            for (int h = 0; h < HIDDEN; h++) {
                double expected = modelPart + VocabModels.ALL.indexOf(token) + h / 100.0;
                assertThat(v.get((long) id * HIDDEN + h)).as(name + " row " + id + " (" + token + ")")
                        .isCloseTo(expected, within(1e-4));
            }
        }
    }

    private static JsonNode json(Path file) throws IOException {
        return new ObjectMapper().readTree(file.toFile());
    }

    @Test
    void unionAppendsOtherModelsTokensAndFillsMissingRowsByTheDefaultRules() throws IOException {
        Path out = merge("tokenizer: {source: union}\nchat_template: auto", "union");
        Map<String, Values> got = TestModels.read(out);
        assertThat(got.get("model.embed_tokens.weight").shape().dims()).containsExactly(9, HIDDEN);
        row(got, 0, 200, "<unk>");            // every model has it: mean of 100, 200, 300
        row(got, 1, 200, "a");
        row(got, 2, 100, "b");                // only the base has it: everyone uses the base's row
        row(got, 3, 400.0 / 3, "c");          // base and x have it: y takes the base's row -> (100+200+100)/3
        row(got, 4, 100, "d");
        row(got, 5, 250, "e");                // x and y have it, the base not: the base takes their mean
        row(got, 6, 200, "f");                // only x
        row(got, 7, 300, "h");                // only y
        row(got, 8, 200, "<|im_start|>");     // x's added token, appended after the regular tokens
        assertThat(ModelConfig.read(out.resolve("config.json")).vocabSize()).isEqualTo(9);

        JsonNode tok = json(out.resolve("tokenizer.json"));
        assertThat(tok.at("/model/vocab").has("<UNUSED>")).as("stripped to vocab_size 5").isFalse();
        assertThat(tok.at("/model/vocab").size()).isEqualTo(5);
        List<String> added = new ArrayList<>();
        tok.get("added_tokens").forEach(t -> added.add(t.get("id").asInt() + ":" + t.get("content").asText()));
        assertThat(added).containsExactly("5:e", "6:f", "7:h", "8:<|im_start|>");
        JsonNode cfg = json(out.resolve("tokenizer_config.json"));
        assertThat(cfg.at("/added_tokens_decoder/8/special").asBoolean()).isTrue();
        assertThat(cfg.at("/added_tokens_decoder/5/special").asBoolean()).isFalse();
        // auto: the most common template; all differ, so the first model's (the base's)
        assertThat(cfg.get("chat_template").asText()).isEqualTo("{% for m in messages %}model1{{ m['content'] }}"
                + "{% endfor %}");
    }

    @Test
    void tokenOverridesAndPaddingRows() {
        Path out = merge("""
                tokenizer:
                  source: union
                  pad_to_multiple_of: 4
                  tokens:
                    <x>: {source: {kind: zero}}
                    a: {source: %s, force: true}
                    d: {source: {kind: model_token, model: %s, token_id: 4}, force: true}
                """.formatted(y, x), "tokens");
        Map<String, Values> got = TestModels.read(out);
        Values embed = got.get("model.embed_tokens.weight");
        assertThat(embed.shape().dims()).containsExactly(12, HIDDEN);
        row(got, 1, 300, "a");                                   // forced to y's row in every model
        // forced to x's row 4 ("f") in every model
        for (int h = 0; h < HIDDEN; h++) {
            assertThat(embed.get(4L * HIDDEN + h)).isCloseTo(VocabModels.value(2, "f", h), within(1e-4));
        }
        for (int h = 0; h < HIDDEN; h++) {
            assertThat(embed.get(9L * HIDDEN + h)).as("<x> is zero").isEqualTo(0.0);
        }
        // padding rows 10, 11: each model's mean of its first 10 rows, so (linear) the mean of the merged rows
        for (int h = 0; h < HIDDEN; h++) {
            double mean = 0;
            for (int r = 0; r < 10; r++) {
                mean += embed.get((long) r * HIDDEN + h) / 10;
            }
            assertThat(embed.get(10L * HIDDEN + h)).isCloseTo(mean, within(1e-3));
            assertThat(embed.get(11L * HIDDEN + h)).isCloseTo(mean, within(1e-3));
        }
        assertThat(ModelConfig.read(out.resolve("config.json")).vocabSize()).isEqualTo(12);
    }

    @Test
    void baseSourceKeepsTheStrippedBaseVocabulary() {
        Path out = merge("tokenizer_source: base", "base-source");
        Map<String, Values> got = TestModels.read(out);
        assertThat(got.get("lm_head.weight").shape().dims()).containsExactly(5, HIDDEN);
        row(got, 0, 200, "<unk>");
        row(got, 2, 100, "b");
        row(got, 3, 400.0 / 3, "c");
        assertThat(ModelConfig.read(out.resolve("config.json")).vocabSize()).isEqualTo(5);
    }

    @Test
    void aModelSourceTakesThatModelsVocabulary() throws IOException {
        Path out = merge("tokenizer: {source: %s}".formatted(x), "model-source");
        Map<String, Values> got = TestModels.read(out);
        assertThat(got.get("lm_head.weight").shape().dims()).containsExactly(6, HIDDEN);
        row(got, 1, 200, "a");
        row(got, 2, 400.0 / 3, "c");   // y lacks c: base has it, so the base's row
        row(got, 3, 250, "e");         // base lacks e: mean of x and y
        row(got, 4, 200, "f");
        row(got, 5, 200, "<|im_start|>");
        assertThat(json(out.resolve("tokenizer.json")).at("/model/vocab").has("f")).isTrue();
    }

    @Test
    void withoutATokenizerConfigTheBaseTokenizerIsCopiedUnchanged() throws IOException {
        Path out = dir.resolve("copied");
        String yaml = """
                merge_method: linear
                models:
                  - {model: %s, parameters: {weight: 1}}
                chat_template: chatml
                """.formatted(x);
        try (MergeSession s = MergeSession.open(MergeConfigReader.parse(yaml, "cfg.yml", warnings::add),
                MergeOptions.defaults(), warnings::add)) {
            s.writeModel(out);
        }
        assertThat(Files.readString(out.resolve("tokenizer.json"))).isEqualTo(Files.readString(x.resolve(
                "tokenizer.json")));
        assertThat(json(out.resolve("tokenizer_config.json")).get("chat_template").asText())
                .startsWith("{% for message in messages %}{{ '<|im_start|>' + message['role']");
    }
}
