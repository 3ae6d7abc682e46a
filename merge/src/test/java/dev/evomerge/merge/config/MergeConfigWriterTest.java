package dev.evomerge.merge.config;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class MergeConfigWriterTest {

    private static MergeConfig parse(String yaml) {
        return MergeConfigReader.parse(yaml, "cfg.yml", w -> {
            throw new AssertionError(w);
        }).withSourceText(null);
    }

    @Test
    void writtenYamlReadsBackToAnEqualConfig() {
        MergeConfig c = parse("""
                merge_method: ties
                base_model: /m/base
                slices:
                  - sources:
                      - model: /m/a@v2
                        layer_range: [0, 4]
                        parameters:
                          weight: [{filter: "*", value: [0, 0.5, 1]}, {filter: null, value: 0.25}]
                          density: 0.5
                      - model: {model: {path: /m/c}, override_architecture: MistralForCausalLM}
                        layer_range: [2, 6]
                    base_model: /m/a@v2
                    parameters: {normalize: true, note: [x, y], lambda: 1e-3}
                    residual_weight: 0.5
                parameters: {int8_mask: false}
                dtype: bfloat16
                out_dtype: float32
                tokenizer:
                  source: union
                  pad_to_multiple_of: 8
                  tokens:
                    "<s>": {source: {kind: zero}}
                    "</s>": {source: {kind: model_token, model: /m/a, token: x}, force: true}
                    "<pad>": {source: /m/c}
                chat_template: chatml
                """);
        String yaml = MergeConfigWriter.toYaml(c);
        assertThat(parse(yaml)).isEqualTo(c);
        assertThat(yaml).contains("merge_method: ties").contains("layer_range:\n");
    }

    @Test
    void legacyTokenizerSourceAndModulesRoundTrip() {
        MergeConfig c = parse("""
                merge_method: linear
                modules:
                  default:
                    models:
                      - {model: a, parameters: {weight: 2}}
                    parameters: {normalize: false}
                tokenizer_source: base
                """);
        assertThat(parse(MergeConfigWriter.toYaml(c))).isEqualTo(c);
    }
}
