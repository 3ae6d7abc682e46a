package dev.evomerge.core.model;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ArchitectureInferenceTest {

    @Test
    void gpt2NamesSplitAtTheFirstNumberedComponent() {
        List<String> names = List.of("transformer.wte.weight", "transformer.wpe.weight",
                "transformer.h.0.attn.c_attn.weight", "transformer.h.0.mlp.c_fc.weight",
                "transformer.h.1.attn.c_attn.weight", "transformer.h.1.mlp.c_fc.weight",
                "transformer.h.2.attn.c_attn.weight", "transformer.h.2.mlp.c_fc.weight",
                "transformer.ln_f.weight");
        ArchitectureTemplate t = Architectures.infer(names);
        assertThat(t.overrideNumLayers()).hasValue(3);
        assertThat(t.numLayersConfigKey()).isEmpty();
        assertThat(t.architectures()).isEmpty();
        assertThat(t.layerTemplates()).containsExactly(
                WeightTemplate.of("transformer.h.${layer_index}.attn.c_attn.weight"),
                WeightTemplate.of("transformer.h.${layer_index}.mlp.c_fc.weight"));
        // every non-layer tensor is a pre-weight, even the final norm; there are no post-weights
        assertThat(t.preWeights()).containsExactly(
                new WeightTemplate("transformer.wte.weight", true, false, List.of()),
                WeightTemplate.of("transformer.wpe.weight"),
                WeightTemplate.of("transformer.ln_f.weight"));
        assertThat(t.postWeights()).isEmpty();
        assertThat(t.allWeightNames(3)).containsExactlyInAnyOrderElementsOf(names);
        assertThat(t.numLayers(ModelConfig.parse("{}", "x"))).isEqualTo(3);
    }

    @Test
    void onlyTheFirstNumberedComponentIsALayerIndex() {
        ArchitectureTemplate t = Architectures.infer(List.of("m.blocks.0.experts.3.w", "m.blocks.1.experts.3.w"));
        assertThat(t.layerTemplates()).containsExactly(WeightTemplate.of("m.blocks.${layer_index}.experts.3.w"));
        assertThat(t.overrideNumLayers()).hasValue(2);
    }

    @Test
    void layerCountIsTheLargestIndexPlusOneAndGapsMakeWeightsOptional() {
        // layer 1 lacks the bias and nothing names layer 2 for "w"; layer 3 exists only for "x"
        ArchitectureTemplate t = Architectures.infer(List.of(
                "l.0.w", "l.0.bias", "l.1.w", "l.0.x", "l.1.x", "l.2.x", "l.3.x"));
        assertThat(t.overrideNumLayers()).hasValue(4);
        assertThat(t.layerTemplates()).containsExactly(
                new WeightTemplate("l.${layer_index}.w", false, true, List.of()),
                new WeightTemplate("l.${layer_index}.bias", false, true, List.of()),
                new WeightTemplate("l.${layer_index}.x", false, false, List.of()));
    }

    @Test
    void weightsMissingFromOneModelAreOptionalAndTheHeadIsTiedToTheEmbedding() {
        List<String> a = List.of("model.embed_tokens.weight", "model.layers.0.w", "model.norm.weight",
                "lm_head.weight");
        List<String> b = List.of("model.embed_tokens.weight", "model.layers.0.w", "model.norm.weight");
        ArchitectureTemplate t = Architectures.inferAll(List.of(a, b));
        assertThat(t.preWeights()).containsExactly(
                new WeightTemplate("model.embed_tokens.weight", true, false, List.of()),
                WeightTemplate.of("model.norm.weight"),
                new WeightTemplate("lm_head.weight", true, true, List.of("model.embed_tokens.weight")));
        assertThat(t.layerTemplates()).containsExactly(WeightTemplate.of("model.layers.${layer_index}.w"));
    }

    @Test
    void namesWithoutLayersGiveZeroLayers() {
        ArchitectureTemplate t = Architectures.infer(List.of("a.weight", "b.bias"));
        assertThat(t.overrideNumLayers()).hasValue(0);
        assertThat(t.layerTemplates()).isEmpty();
        assertThat(t.allWeightNames(0)).containsExactly("a.weight", "b.bias");
    }
}
