package dev.evomerge.core.model;

import com.fasterxml.jackson.databind.node.TextNode;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelConfigTest {

    /** A Qwen2.5-style config as transformers writes it (sorted keys), with one key transformers does not know. */
    static final String QWEN = """
            {
              "architectures": [
                "Qwen2ForCausalLM"
              ],
              "attention_dropout": 0.0,
              "bos_token_id": 151643,
              "custom_key": {
                "nested": [
                  1,
                  2.5
                ]
              },
              "eos_token_id": [
                151645,
                151643
              ],
              "hidden_act": "silu",
              "hidden_size": 896,
              "initializer_range": 0.02,
              "intermediate_size": 4864,
              "max_position_embeddings": 32768,
              "max_window_layers": 21,
              "model_type": "qwen2",
              "num_attention_heads": 14,
              "num_hidden_layers": 24,
              "num_key_value_heads": 2,
              "rms_norm_eps": 1e-06,
              "rope_scaling": null,
              "rope_theta": 1000000.0,
              "sliding_window": 32768,
              "tie_word_embeddings": true,
              "torch_dtype": "bfloat16",
              "transformers_version": "4.43.1",
              "use_cache": true,
              "use_sliding_window": false,
              "vocab_size": 151936
            }
            """;

    @Test
    void typedGettersReadTheKeys() {
        ModelConfig c = ModelConfig.parse(QWEN, "qwen/config.json");
        assertThat(c.architecture()).isEqualTo("Qwen2ForCausalLM");
        assertThat(c.modelType()).isEqualTo("qwen2");
        assertThat(c.numLayers()).isEqualTo(24);
        assertThat(c.hiddenSize()).isEqualTo(896);
        assertThat(c.vocabSize()).isEqualTo(151936);
        assertThat(c.numAttentionHeads()).isEqualTo(14);
        assertThat(c.numKeyValueHeads()).isEqualTo(2);
        assertThat(c.headDim()).isEqualTo(64);
        assertThat(c.intermediateSize()).isEqualTo(4864);
        assertThat(c.tieWordEmbeddings()).isTrue();
        assertThat(c.torchDtype()).contains(DType.BF16);
        assertThat(c.ropeTheta()).isEqualTo(1e6);
        assertThat(c.rmsNormEps()).isEqualTo(1e-6);
        assertThat(c.ropeScaling()).isEmpty();
        assertThat(c.bosTokenId()).hasValue(151643);
        assertThat(c.eosTokenIds()).containsExactly(151645, 151643);
        assertThat(c.maxPositionEmbeddings()).hasValue(32768);
        assertThat(c.hiddenAct()).isEqualTo("silu");
    }

    @Test
    void rewritingWithoutChangesReproducesTheFileByteForByte() {
        ModelConfig c = ModelConfig.parse(QWEN, "x");
        assertThat(c.toJson()).isEqualTo(QWEN);
    }

    @Test
    void settersChangeOnlyTheirKeyInPlaceAndKeepUnknownKeys() {
        ModelConfig c = ModelConfig.parse(QWEN, "x").withTorchDtype(DType.F16).withNumLayers(12).withVocabSize(151680);
        String expected = QWEN.replace("\"bfloat16\"", "\"float16\"")
                .replace("\"num_hidden_layers\": 24", "\"num_hidden_layers\": 12")
                .replace("\"vocab_size\": 151936", "\"vocab_size\": 151680");
        assertThat(c.toJson()).isEqualTo(expected);
        assertThat(c.get("custom_key").orElseThrow().toString()).isEqualTo("{\"nested\":[1,2.5]}");
        // the original is unchanged (withers copy)
        assertThat(ModelConfig.parse(QWEN, "x").numLayers()).isEqualTo(24);
    }

    @Test
    void newKeysAreAppendedAtTheEnd() {
        ModelConfig c = ModelConfig.parse("{\"a\": 1, \"b\": 2}", "x").with("a0", TextNode.valueOf("z"));
        assertThat(c.toJson()).isEqualTo("{\n  \"a\": 1,\n  \"b\": 2,\n  \"a0\": \"z\"\n}\n");
    }

    @Test
    void newerDtypeKeyIsReadAndSetWhereTheConfigUsesIt() {
        ModelConfig c = ModelConfig.parse("{\"dtype\": \"float32\"}", "x");
        assertThat(c.torchDtype()).contains(DType.F32);
        assertThat(c.withTorchDtype(DType.BF16).toJson()).isEqualTo("{\n  \"dtype\": \"bfloat16\"\n}\n");
    }

    @Test
    void defaultsFollowTransformers() {
        ModelConfig c = ModelConfig.parse("{\"hidden_size\": 64, \"num_attention_heads\": 4}", "x");
        assertThat(c.numKeyValueHeads()).isEqualTo(4);
        assertThat(c.headDim()).isEqualTo(16);
        // save_pretrained leaves the key out only when it equals PretrainedConfig's default (true)
        assertThat(c.tieWordEmbeddings()).isTrue();
        assertThat(c.torchDtype()).isEmpty();
        assertThat(c.eosTokenIds()).isEmpty();
        assertThat(c.ropeTheta()).isEqualTo(10000.0);
    }

    @Test
    void layerCountUsesTheArchitectureKeyOrFailsWithASentence() {
        ModelConfig unknown = ModelConfig.parse("{\"architectures\": [\"GPT2LMHeadModel\"], \"n_layer\": 12}",
                "gpt2/config.json");
        assertThatThrownBy(unknown::numLayers).isInstanceOf(EvomergeException.class)
                .hasMessage("Config gpt2/config.json has no layer count: its architecture [GPT2LMHeadModel] is not "
                        + "known and it has no 'num_hidden_layers'.");
        ModelConfig fallback = ModelConfig.parse("{\"architectures\": [\"X\"], \"num_hidden_layers\": 3}", "x");
        assertThat(fallback.numLayers()).isEqualTo(3);
    }

    @Test
    void badValuesNameTheKeyAndFile() {
        ModelConfig c = ModelConfig.parse("{\"hidden_size\": \"big\", \"vocab_size\": 3.5}", "m/config.json");
        assertThatThrownBy(c::hiddenSize).isInstanceOf(EvomergeException.class)
                .hasMessage("Config m/config.json: 'hidden_size' must be an integer, found \"big\".");
        assertThatThrownBy(c::vocabSize)
                .hasMessage("Config m/config.json: 'vocab_size' must be an integer, found 3.5.");
        assertThatThrownBy(c::intermediateSize).hasMessage("Config m/config.json has no 'intermediate_size'.");
        assertThatThrownBy(c::architecture).hasMessage("Config m/config.json has no 'architectures' list.");
    }

    @Test
    void malformedFilesAreUsageErrors(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("config.json");
        assertThatThrownBy(() -> ModelConfig.read(file))
                .isInstanceOf(EvomergeException.class).hasMessage("Config file " + file + " does not exist.");
        Files.writeString(file, "{\"a\": 1,,}");
        assertThatThrownBy(() -> ModelConfig.read(file)).isInstanceOf(EvomergeException.class)
                .hasMessage("Config " + file + " is not valid JSON: line 1, column 9: unexpected character (','): was"
                        + " expecting double-quote to start field name.");
        Files.writeString(file, "[1, 2]");
        assertThatThrownBy(() -> ModelConfig.read(file)).hasMessage("Config " + file + " must be a JSON object.");
    }

    @Test
    void writeCreatesTheFileWithATrailingNewlineAndNoTemporaryLeftOver(@TempDir Path dir) throws Exception {
        ModelConfig c = ModelConfig.parse(QWEN, "x").withVocabSize(1000);
        Path file = dir.resolve("config.json");
        c.write(file);
        assertThat(Files.readString(file)).isEqualTo(c.toJson()).endsWith("}\n");
        assertThat(ModelConfig.read(file)).isEqualTo(c);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("config.json");
        }
    }
}
