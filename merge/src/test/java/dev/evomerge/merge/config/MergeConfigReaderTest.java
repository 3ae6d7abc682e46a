package dev.evomerge.merge.config;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MergeConfigReaderTest {

    private final List<String> warnings = new ArrayList<>();

    private MergeConfig parse(String yaml) {
        return MergeConfigReader.parse(yaml, "cfg.yml", warnings::add);
    }

    @Test
    void readsAWholeModelMergeWithEveryParameterForm() {
        MergeConfig c = parse("""
                merge_method: ties
                base_model: /m/base
                models:
                  - model: /m/a
                    parameters:
                      weight: 0.6
                      density: [0.2, 0.8]
                  - model: /m/b@main
                    parameters:
                      weight:
                        - filter: mlp
                          value: 0.3
                        - value: [0, 1]
                parameters:
                  normalize: true
                  int8_mask: 1
                  epsilon: 1e-5
                dtype: bfloat16
                out_dtype: float16
                """);
        assertThat(c.mergeMethod()).isEqualTo("ties");
        assertThat(c.baseModel()).isEqualTo(ModelReference.of("/m/base"));
        assertThat(c.models()).hasSize(2);
        assertThat(c.models().get(1).model()).isEqualTo(new ModelReference("/m/b", "main", null, null, null));
        assertThat(c.models().get(0).parameters().get("weight"))
                .isEqualTo(new ParameterSetting.Scalar(new ParameterValue.Numeric(0.6)));
        assertThat(c.models().get(0).parameters().get("density"))
                .isEqualTo(new ParameterSetting.Gradient(List.of(0.2, 0.8)));
        ParameterSetting w = c.models().get(1).parameters().get("weight");
        assertThat(w).isInstanceOf(ParameterSetting.Conditional.class);
        assertThat(((ParameterSetting.Conditional) w).conditions()).containsExactly(
                new ParameterSetting.Condition("mlp", ParameterSetting.Scalar.of(0.3)),
                new ParameterSetting.Condition(null, new ParameterSetting.Gradient(List.of(0.0, 1.0))));
        assertThat(c.parameters().get("normalize")).isEqualTo(ParameterSetting.Scalar.of(true));
        assertThat(c.parameters().get("int8_mask")).isEqualTo(ParameterSetting.Scalar.of(1.0));
        // YAML 1.1 leaves 1e-5 (no dot) a string; Python's float() and evomerge read it as a number.
        assertThat(c.parameters().get("epsilon")).isEqualTo(ParameterSetting.Scalar.of(1e-5));
        assertThat(c.dtype()).isEqualTo(DType.BF16);
        assertThat(c.outDtype()).isEqualTo(DType.F16);
        assertThat(c.sourceText()).startsWith("merge_method: ties");
        assertThat(warnings).isEmpty();
    }

    @Test
    void readsSlicesWithPerSliceBaseAndResidualWeight() {
        MergeConfig c = parse("""
                merge_method: slerp
                slices:
                  - sources:
                      - model: a
                        layer_range: [0, 4]
                      - model: b
                        layer_range: [2, 6]
                    base_model: a
                    parameters:
                      t: [0, 0.5, 1]
                    residual_weight: 0.1
                  - sources:
                      - model: {model: {path: c, revision: r1}, override_architecture: LlamaForCausalLM}
                        layer_range: [3, 3]
                """);
        assertThat(c.slices()).hasSize(2);
        OutputSlice s0 = c.slices().get(0);
        assertThat(s0.sources()).extracting(InputSlice::layerRange)
                .containsExactly(new LayerRange(0, 4), new LayerRange(2, 6));
        assertThat(s0.baseModel()).isEqualTo(ModelReference.of("a"));
        assertThat(s0.residualWeight()).isEqualTo(0.1);
        InputSlice c0 = c.slices().get(1).sources().get(0);
        assertThat(c0.model()).isEqualTo(new ModelReference("c", "r1", null, null, "LlamaForCausalLM"));
        assertThat(c0.layerRange().length()).isZero();
        assertThat(c.listedModels()).containsExactly(ModelReference.of("a"), ModelReference.of("b"), c0.model());
    }

    @Test
    void readsModulesAndTheTokenizerBlock() {
        MergeConfig c = parse("""
                merge_method: linear
                modules:
                  default:
                    models:
                      - model: a
                        parameters: {weight: 1}
                    parameters: {normalize: false}
                tokenizer:
                  source: union
                  pad_to_multiple_of: 16
                  tokens:
                    "<|im_start|>":
                      source: b
                    "<x>":
                      source: {kind: zero}
                    "<y>":
                      source: {kind: model_token, model: a, token_id: 3}
                      force: true
                    "<z>":
                      source: {kind: model_token, model: a, token: "hi"}
                chat_template: chatml
                """);
        assertThat(c.modules()).containsOnlyKeys("default");
        assertThat(c.modules().get("default").parameters().get("normalize")).isEqualTo(ParameterSetting.Scalar.of(false));
        TokenizerConfig t = c.tokenizer();
        assertThat(t.source()).isEqualTo(new TokenizerSource.Union());
        assertThat(t.padToMultipleOf()).isEqualTo(16);
        assertThat(t.tokens().get("<|im_start|>"))
                .isEqualTo(new TokenEmbedding(new EmbeddingSource.FromModel(ModelReference.of("b")), false));
        assertThat(t.tokens().get("<x>").source()).isEqualTo(new EmbeddingSource.Zero());
        assertThat(t.tokens().get("<y>"))
                .isEqualTo(new TokenEmbedding(new EmbeddingSource.ModelToken(ModelReference.of("a"), 3, null), true));
        assertThat(t.tokens().get("<z>").source())
                .isEqualTo(new EmbeddingSource.ModelToken(ModelReference.of("a"), null, "hi"));
        assertThat(c.chatTemplate()).isEqualTo("chatml");
        assertThat(c.referencedModels()).containsExactly(ModelReference.of("a"), ModelReference.of("b"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "base | base",
            "union | union",
            "some/model | some/model",
            "model:some/model | some/model"})
    void legacyTokenizerSourceBecomesATokenizerBlock(String value, String expected) {
        MergeConfig c = parse("merge_method: linear\nmodels: [{model: a}]\ntokenizer_source: " + value + "\n");
        assertThat(c.legacyTokenizerSource()).isTrue();
        assertThat(c.tokenizer().source().toString()).isEqualTo(expected);
        assertThat(c.tokenizer().tokens()).isEmpty();
    }

    @Test
    void unknownKeysAreReportedAndIgnored() {
        MergeConfig c = parse("""
                merge_method: linear
                models:
                  - model: a
                    weight: 1
                frobnicate: yes
                name: first
                """);
        assertThat(c.models()).hasSize(1);
        assertThat(warnings).containsExactly(
                "cfg.yml: unknown key 'frobnicate' is ignored (mergekit ignores it too).",
                "cfg.yml: unknown key 'models[0].weight' is ignored (mergekit ignores it too).");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            // yaml (\n escaped as ;;) | expected message fragment
            "models: [{model: a}] | 'merge_method' is required but missing",
            "merge_method: linear | exactly one of 'models', 'slices', or 'modules' must be present",
            "merge_method: linear;;models: [{model: a}];;slices: [{sources: [{model: a, layer_range: [0, 1]}]}]"
                    + " | exactly one of 'models', 'slices', or 'modules' must be present",
            "merge_method: linear;;models: [{model: a}];;tokenizer_source: base;;tokenizer: {source: base}"
                    + " | 'tokenizer_source' and 'tokenizer' cannot both be set",
            "merge_method: linear;;slices: [{sources: [{model: a, layer_range: [0]}]}]"
                    + " | 'slices[0].sources[0].layer_range' must be a list of two integers",
            "merge_method: linear;;slices: [{sources: [{model: a, layer_range: [3, 1]}]}]"
                    + " | 'slices[0].sources[0].layer_range' is [3, 1]; it needs 0 <= start <= end",
            "merge_method: linear;;slices: [{sources: [{model: a}]}] | 'slices[0].sources[0].layer_range' is required",
            "merge_method: linear;;models: [{model: a, parameters: {weight: {filter: x, value: 1}}}]"
                    + " | 'models[0].parameters.weight' is a single {filter, value} mapping",
            "merge_method: linear;;models: [{model: a, parameters: {weight: []}}]"
                    + " | 'models[0].parameters.weight' is an empty list",
            "merge_method: linear;;models: [{model: a, parameters: {weight: [{filter: x}]}}]"
                    + " | 'models[0].parameters.weight[0].value' is required",
            "merge_method: linear;;models: [{model: a}];;dtype: float8 | 'dtype' is 'float8'",
            "merge_method: linear;;models: [{model: 'a@b@c'}] | more than one '@'",
            "merge_method: linear;;models: [{model: 'a+b+c'}] | more than one '+'",
            "merge_method: linear;;models: [{model: a}];;chat_template: short | chat_template 'short' is neither",
            "merge_method: linear;;models: [] | 'models' is empty",
            "merge_method: linear;;modules: {default: {parameters: {}}} | 'modules.default' needs exactly one of",
            "merge_method: linear;;models: [{model: a, parameters: {weight: 1e400}}]"
                    + " | 'models[0].parameters.weight' (model a) is too large for a number (it reads as"
                    + " Infinity); merge parameters must be finite numbers.",
            "merge_method: linear;;models: [{model: a, parameters: {weight: 1.0e+400}}]"
                    + " | 'models[0].parameters.weight' (model a) is too large for a number (it reads as Infinity)",
            "merge_method: linear;;models: [{model: a, parameters: {weight: [0.5, 1e400]}}]"
                    + " | 'models[0].parameters.weight[1]' (model a) is too large for a number",
            "merge_method: ties;;models: [{model: a, parameters: {density: [{filter: mlp, value: 1e999}, {value: 1}]}}]"
                    + " | 'models[0].parameters.density[0].value' (model a, filter mlp) is too large",
            "merge_method: ties;;models: [{model: a}];;parameters: {lambda: -1e999}"
                    + " | 'parameters.lambda' is too large for a number (it reads as -Infinity)",
            "merge_method: linear;;slices: [{sources: [{model: a, layer_range: [0, 1]}], residual_weight: 2e308}]"
                    + " | 'slices[0].residual_weight' is too large for a number",
            "merge_method: linear;;models: [{model: a, parameters: {weight: .inf}}]"
                    + " | cfg.yml at line 2: .inf is not a finite number; merge parameters must be finite numbers.",
            "merge_method: linear;;models: [{model: a, parameters: {weight: -.Inf}}]"
                    + " | cfg.yml at line 2: -.Inf is not a finite number",
            "merge_method: linear;;models: [{model: a}];;parameters: {t: .nan}"
                    + " | cfg.yml at line 3: .nan is not a finite number",
            "'merge_method: [' | is not valid YAML"})
    void malformedConfigsAreUsageErrorsNamingTheKey(String yaml, String fragment) {
        assertThatThrownBy(() -> parse(yaml.replace(";;", "\n")))
                .isInstanceOfSatisfying(EvomergeException.class,
                        e -> assertThat(e.kind()).isEqualTo(EvomergeException.Kind.USAGE))
                .hasMessageStartingWith("cfg.yml")
                .hasMessageContaining(fragment);
    }

    @Test
    void stringListsAreStepSettings() {
        MergeConfig c = parse("merge_method: linear\nmodels: [{model: a, parameters: {mode: [x, y, z]}}]\n");
        ParameterSetting s = c.models().get(0).parameters().get("mode");
        assertThat(s).isInstanceOf(ParameterSetting.Steps.class);
        assertThat(s.evaluate("t", 0.0)).isEqualTo(new ParameterValue.Text("x"));
        assertThat(s.evaluate("t", 0.99)).isEqualTo(new ParameterValue.Text("y"));
        assertThat(s.evaluate("t", 1.0)).isEqualTo(new ParameterValue.Text("z"));
    }

    @Test
    void aConfigFileThatIsNotUtf8IsOneSentenceNamingTheFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws java.io.IOException {
        java.nio.file.Path f = java.nio.file.Files.write(dir.resolve("m.yml"),
                "merge_method: linear\nmodels: [{model: caf\u00e9}]\n".getBytes(
                        java.nio.charset.StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> MergeConfigReader.read(f, warnings::add)).isInstanceOf(EvomergeException.class)
                .hasMessage("Merge config " + f + " is not UTF-8 text (byte 41 on line 2 is 0xE9); save it as UTF-8.");
        assertThatThrownBy(() -> MergeConfigReader.read(dir.resolve("none.yml"), warnings::add))
                .hasMessage("Merge config " + dir.resolve("none.yml") + " does not exist.");
    }
}
