package dev.evomerge.core.model;

import dev.evomerge.core.EvomergeException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ArchitecturesTest {

    static ModelConfig config(String arch, String modelType) {
        return ModelConfig.parse("{\"architectures\": [\"" + arch + "\"], \"model_type\": \"" + modelType
                + "\", \"num_hidden_layers\": 2}", "test/config.json");
    }

    static ArchitectureTemplate builtIn(String arch, String modelType) {
        return Architectures.builtIn().find(config(arch, modelType)).orElseThrow();
    }

    @Test
    void sixBuiltInTemplatesLoad() {
        assertThat(Architectures.builtIn().all()).extracting(ArchitectureTemplate::modelType)
                .containsExactly("llama", "mistral", "qwen2", "qwen3", "gemma2", "phi3");
        assertThat(Architectures.builtIn().all()).allSatisfy(t -> {
            assertThat(t.numLayersConfigKey()).contains("num_hidden_layers");
            assertThat(t.overrideNumLayers()).isEmpty();
        });
    }

    @Test
    void llamaTemplateListsMergekitsTensors() {
        ArchitectureTemplate llama = builtIn("LlamaForCausalLM", "llama");
        assertThat(llama.preWeightNames()).containsExactly("model.embed_tokens.weight");
        assertThat(llama.layerWeightNames(3)).containsExactlyInAnyOrder(
                "model.layers.3.input_layernorm.weight",
                "model.layers.3.self_attn.q_proj.weight",
                "model.layers.3.self_attn.k_proj.weight",
                "model.layers.3.self_attn.v_proj.weight",
                "model.layers.3.self_attn.o_proj.weight",
                "model.layers.3.post_attention_layernorm.weight",
                "model.layers.3.mlp.up_proj.weight",
                "model.layers.3.mlp.gate_proj.weight",
                "model.layers.3.mlp.down_proj.weight");
        assertThat(llama.postWeightNames()).containsExactly("model.norm.weight", "lm_head.weight");
        WeightTemplate embed = llama.preWeights().getFirst();
        assertThat(embed.isEmbed()).isTrue();
        assertThat(embed.optional()).isFalse();
        WeightTemplate head = llama.postWeights().get(1);
        assertThat(head).isEqualTo(new WeightTemplate("lm_head.weight", true, true,
                List.of("model.embed_tokens.weight")));
        assertThat(llama.allWeightNames(2)).hasSize(1 + 2 * 9 + 2)
                .startsWith("model.embed_tokens.weight").endsWith("model.norm.weight", "lm_head.weight");
        assertThat(llama.weight("model.layers.1.mlp.up_proj.weight", 2)).isPresent();
        assertThat(llama.weight("model.layers.2.mlp.up_proj.weight", 2)).isEmpty();
    }

    @Test
    void mistralHasLlamasTensors() {
        ArchitectureTemplate mistral = builtIn("MistralForCausalLM", "mistral");
        ArchitectureTemplate llama = builtIn("LlamaForCausalLM", "llama");
        assertThat(mistral.allWeightNames(3)).isEqualTo(llama.allWeightNames(3));
    }

    @Test
    void qwen2AddsQkvBiasesAndQwen3AddsQkNorms() {
        List<String> llama = builtIn("LlamaForCausalLM", "llama").layerWeightNames(0);
        List<String> qwen2 = builtIn("Qwen2ForCausalLM", "qwen2").layerWeightNames(0);
        List<String> qwen3 = builtIn("Qwen3ForCausalLM", "qwen3").layerWeightNames(0);
        assertThat(qwen2).containsAll(llama).hasSize(llama.size() + 3).contains(
                "model.layers.0.self_attn.q_proj.bias", "model.layers.0.self_attn.k_proj.bias",
                "model.layers.0.self_attn.v_proj.bias");
        assertThat(qwen3).containsAll(llama).hasSize(llama.size() + 2).contains(
                "model.layers.0.self_attn.q_norm.weight", "model.layers.0.self_attn.k_norm.weight");
    }

    @Test
    void gemma2AddsFeedforwardNormsAndPhi3HasFusedProjectionsAndARequiredHead() {
        List<String> gemma2 = builtIn("Gemma2ForCausalLM", "gemma2").layerWeightNames(1);
        assertThat(gemma2).hasSize(11).contains("model.layers.1.pre_feedforward_layernorm.weight",
                "model.layers.1.post_feedforward_layernorm.weight");
        ArchitectureTemplate phi3 = builtIn("Phi3ForCausalLM", "phi3");
        assertThat(phi3.layerWeightNames(0)).containsExactlyInAnyOrder(
                "model.layers.0.self_attn.qkv_proj.weight", "model.layers.0.self_attn.o_proj.weight",
                "model.layers.0.mlp.gate_up_proj.weight", "model.layers.0.mlp.down_proj.weight",
                "model.layers.0.input_layernorm.weight", "model.layers.0.post_attention_layernorm.weight");
        assertThat(phi3.postWeights().get(1)).isEqualTo(new WeightTemplate("lm_head.weight", true, false, List.of()));
    }

    @Test
    void unknownArchitectureOrMissingListFindsNothing() {
        assertThat(Architectures.builtIn().find(config("GPT2LMHeadModel", "gpt2"))).isEmpty();
        assertThat(Architectures.builtIn().find(ModelConfig.parse("{\"model_type\": \"llama\"}", "x"))).isEmpty();
    }

    @Test
    void modelTypeBreaksTiesBetweenTemplatesClaimingOneClass() {
        ArchitectureTemplate a = template("a", "SharedForCausalLM");
        ArchitectureTemplate b = template("b", "SharedForCausalLM");
        Architectures registry = Architectures.of(List.of(a, b));
        assertThat(registry.find(config("SharedForCausalLM", "b"))).containsSame(b);
        assertThat(registry.find(config("SharedForCausalLM", "a"))).containsSame(a);
        assertThatThrownBy(() -> registry.find(config("SharedForCausalLM", "c")))
                .isInstanceOf(EvomergeException.class)
                .hasMessage("Config test/config.json: architecture SharedForCausalLM has 2 templates and model_type "
                        + "'c' does not pick one.");
    }

    private static ArchitectureTemplate template(String modelType, String cls) {
        return new ArchitectureTemplate(modelType, List.of(cls), Optional.of("n_layer"), OptionalInt.empty(),
                List.of(WeightTemplate.of("wte.weight")), List.of(WeightTemplate.of("h.${layer_index}.w")), List.of());
    }

    @Test
    void placeholdersWithOffsetsAreFilledIn() {
        WeightTemplate w = new WeightTemplate("a.${layer_index}.b.${layer_index+1}.c.${layer_index - 1}", false,
                true, List.of("t.${layer_index}"));
        assertThat(w.forLayer(5)).isEqualTo(new WeightTemplate("a.5.b.6.c.4", false, true, List.of("t.5")));
    }

    @Test
    void templateJsonIsCheckedStrictly() {
        String ok = """
                {"model_type": "tiny", "architectures": ["TinyLM"], "num_layers_config_key": "n_layer",
                 "pre_weights": [{"name": "wte.weight", "is_embed": true}],
                 "layer_weights": [{"name": "h.${layer_index}.mlp.weight"}],
                 "post_weights": [{"name": "head.weight", "optional": true, "tied_names": ["wte.weight"]}]}""";
        ArchitectureTemplate t = Architectures.parse(ok, "tiny.json");
        assertThat(t.allWeightNames(2)).containsExactly("wte.weight", "h.0.mlp.weight", "h.1.mlp.weight",
                "head.weight");
        assertThat(t.numLayers(ModelConfig.parse("{\"n_layer\": 7}", "x"))).isEqualTo(7);

        assertThatThrownBy(() -> Architectures.parse(ok.replace("\"is_embed\"", "\"is_embedding\""), "tiny.json"))
                .isInstanceOf(EvomergeException.class)
                .hasMessage("Architecture template tiny.json has unknown key 'is_embedding'.");
        assertThatThrownBy(() -> Architectures.parse(ok.replace("h.${layer_index}", "h.${num_layers}"), "tiny.json"))
                .isInstanceOf(EvomergeException.class).hasMessageContaining("unsupported placeholder");
        assertThatThrownBy(() -> Architectures.parse(ok.replace("wte.weight\", \"is", "wte.${layer_index}\", \"is"),
                "tiny.json")).isInstanceOf(EvomergeException.class).hasMessageContaining("must not contain");
    }
}
