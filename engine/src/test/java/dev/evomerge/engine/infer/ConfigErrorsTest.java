package dev.evomerge.engine.infer;

import dev.evomerge.core.testing.GoldenModels;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.engine.load.ModelLoader;
import dev.evomerge.engine.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Unsupported or inconsistent models fail with one sentence naming what is wrong. */
class ConfigErrorsTest {

    @TempDir
    Path tmp;

    private Path edited(String name, java.util.function.Consumer<com.fasterxml.jackson.databind.node.ObjectNode> e) {
        return TestModels.withConfig(GoldenModels.model("llama-pico-base"), tmp.resolve(name), e);
    }

    @Test
    void unsupportedArchitectureListsSupportedOnes() {
        Path dir = edited("gpt2", c -> c.putArray("architectures").add("GPT2LMHeadModel"));
        assertThatThrownBy(() -> ModelLoader.load(dir)).isInstanceOf(EvomergeException.class)
                .hasMessageContaining("GPT2LMHeadModel").hasMessageContaining(
                        "LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM");
    }

    @Test
    void unsupportedRopeScalingAndActivation() {
        Path yarn = edited("yarn", c -> c.putObject("rope_scaling").put("rope_type", "yarn").put("factor", 4.0));
        assertThatThrownBy(() -> ModelLoader.load(yarn)).isInstanceOf(EvomergeException.class)
                .hasMessageContaining("yarn").hasMessageContaining("linear, llama3");
        Path gelu = edited("gelu", c -> c.put("hidden_act", "gelu"));
        assertThatThrownBy(() -> ModelLoader.load(gelu)).isInstanceOf(EvomergeException.class)
                .hasMessageContaining("hidden_act 'gelu'");
    }

    @Test
    void checkpointMustMatchConfig() {
        Path fewer = edited("layers3", c -> c.put("num_hidden_layers", 3));
        assertThatThrownBy(() -> ModelLoader.load(fewer)).isInstanceOf(EvomergeException.class)
                .hasMessageContaining("model.layers.3.");
        Path more = edited("layers5", c -> c.put("num_hidden_layers", 5));
        assertThatThrownBy(() -> ModelLoader.load(more)).isInstanceOf(EvomergeException.class)
                .hasMessageContaining("has no tensor 'model.layers.4.");
        Path wider = edited("inter", c -> c.put("intermediate_size", 128));
        assertThatThrownBy(() -> ModelLoader.load(wider)).isInstanceOf(EvomergeException.class)
                .hasMessageContaining("shape [176, 64]").hasMessageContaining("[128, 64]");
        assertThatThrownBy(() -> ModelLoader.load(tmp.resolve("nothing"))).isInstanceOf(EvomergeException.class)
                .hasMessageContaining("no config.json");
    }
}
