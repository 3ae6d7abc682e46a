package dev.evomerge.core.synth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.model.ArchitectureTemplate;
import dev.evomerge.core.model.Architectures;
import dev.evomerge.core.model.ModelConfig;
import dev.evomerge.core.model.ModelDirectory;
import dev.evomerge.core.model.PythonScripts;
import dev.evomerge.core.safetensors.SafetensorsModel;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class ModelSynthesizerTest {

    static final SynthModelSpec SMALL = SynthModelSpec.defaults().withWidth(32, 4, 2, 48).withLayers(2)
            .withVocabSize(300);

    static Stream<Arguments> archsAndTying() {
        return Stream.of(SynthArch.values()).flatMap(a -> Stream.of(Arguments.of(a, false), Arguments.of(a, true)));
    }

    @ParameterizedTest
    @MethodSource("archsAndTying")
    void templateListsExactlyTheTensorsOfASynthesizedModel(SynthArch arch, boolean tied, @TempDir Path tmp) {
        Path out = tmp.resolve("m");
        ModelSynthesizer.write(SMALL.withArch(arch).withTieEmbeddings(tied), out);
        try (ModelDirectory dir = ModelDirectory.open(out)) {
            ArchitectureTemplate template = Architectures.builtIn().find(dir.config()).orElseThrow();
            assertThat(template.modelType()).isEqualTo(arch.modelType());
            List<String> expected = new ArrayList<>(template.allWeightNames(dir.config().numLayers()));
            if (tied) {
                expected.remove("lm_head.weight");
            }
            assertThat(dir.tensors().tensorNames()).containsExactlyInAnyOrderElementsOf(expected);
            assertThat(dir.tensors().tensorNames()).isSorted();
        }
    }

    @Test
    void shapesFollowTransformersLayouts(@TempDir Path tmp) {
        SynthModelSpec spec = SynthModelSpec.defaults().withArch(SynthArch.QWEN3);
        ModelSynthesizer.write(spec, tmp.resolve("q"));
        try (SafetensorsModel m = SafetensorsModel.open(tmp.resolve("q"))) {
            // hidden 64, 4 heads of 16, 2 KV heads, intermediate 176, vocab 512
            assertThat(shape(m, "model.embed_tokens.weight")).isEqualTo(Shape.of(512, 64));
            assertThat(shape(m, "lm_head.weight")).isEqualTo(Shape.of(512, 64));
            assertThat(shape(m, "model.layers.0.self_attn.q_proj.weight")).isEqualTo(Shape.of(64, 64));
            assertThat(shape(m, "model.layers.0.self_attn.k_proj.weight")).isEqualTo(Shape.of(32, 64));
            assertThat(shape(m, "model.layers.0.self_attn.v_proj.weight")).isEqualTo(Shape.of(32, 64));
            assertThat(shape(m, "model.layers.0.self_attn.o_proj.weight")).isEqualTo(Shape.of(64, 64));
            assertThat(shape(m, "model.layers.0.self_attn.q_norm.weight")).isEqualTo(Shape.of(16));
            assertThat(shape(m, "model.layers.3.mlp.gate_proj.weight")).isEqualTo(Shape.of(176, 64));
            assertThat(shape(m, "model.layers.3.mlp.down_proj.weight")).isEqualTo(Shape.of(64, 176));
            assertThat(shape(m, "model.norm.weight")).isEqualTo(Shape.of(64));
            assertThat(m.info("model.norm.weight").orElseThrow().dtype()).isEqualTo(DType.BF16);
        }
        ModelSynthesizer.write(SMALL.withArch(SynthArch.QWEN2).withDtype(DType.F16), tmp.resolve("q2"));
        try (SafetensorsModel m = SafetensorsModel.open(tmp.resolve("q2"))) {
            assertThat(shape(m, "model.layers.1.self_attn.q_proj.bias")).isEqualTo(Shape.of(32));
            assertThat(shape(m, "model.layers.1.self_attn.k_proj.bias")).isEqualTo(Shape.of(16));
            assertThat(m.info("model.layers.1.self_attn.k_proj.bias").orElseThrow().dtype()).isEqualTo(DType.F16);
        }
    }

    private static Shape shape(SafetensorsModel m, String name) {
        return m.info(name).orElseThrow().shape();
    }

    @Test
    void configsHaveTheKeysTransformersWritesForEachArchitecture() {
        Set<String> common = Set.of("architectures", "attention_dropout", "bos_token_id", "eos_token_id",
                "hidden_act", "hidden_size", "initializer_range", "intermediate_size", "max_position_embeddings",
                "model_type", "num_attention_heads", "num_hidden_layers", "num_key_value_heads", "rms_norm_eps",
                "rope_theta", "tie_word_embeddings", "torch_dtype", "transformers_version", "use_cache", "vocab_size");
        assertThat(keys(SynthArch.LLAMA)).isEqualTo(union(common, "attention_bias", "head_dim", "mlp_bias",
                "pretraining_tp", "rope_scaling"));
        assertThat(keys(SynthArch.MISTRAL)).isEqualTo(union(common, "head_dim", "sliding_window"));
        assertThat(keys(SynthArch.QWEN2)).isEqualTo(union(common, "max_window_layers", "rope_scaling",
                "sliding_window", "use_sliding_window"));
        assertThat(keys(SynthArch.QWEN3)).isEqualTo(union(common, "attention_bias", "head_dim", "max_window_layers",
                "rope_scaling", "sliding_window", "use_sliding_window"));
    }

    private static Set<String> keys(SynthArch arch) {
        Set<String> keys = new TreeSet<>();
        HfModelFiles.config(SynthModelSpec.defaults().withArch(arch)).fieldNames().forEachRemaining(keys::add);
        return keys;
    }

    private static Set<String> union(Set<String> a, String... more) {
        Set<String> s = new TreeSet<>(a);
        s.addAll(List.of(more));
        return s;
    }

    @Test
    void defaultLlamaConfigIsExactlyWhatSavePretrainedWrites() {
        String expected = """
                {
                  "architectures": [
                    "LlamaForCausalLM"
                  ],
                  "attention_bias": false,
                  "attention_dropout": 0.0,
                  "bos_token_id": 1,
                  "eos_token_id": 2,
                  "head_dim": 16,
                  "hidden_act": "silu",
                  "hidden_size": 64,
                  "initializer_range": 0.02,
                  "intermediate_size": 176,
                  "max_position_embeddings": 2048,
                  "mlp_bias": false,
                  "model_type": "llama",
                  "num_attention_heads": 4,
                  "num_hidden_layers": 4,
                  "num_key_value_heads": 2,
                  "pretraining_tp": 1,
                  "rms_norm_eps": 1e-05,
                  "rope_scaling": null,
                  "rope_theta": 10000.0,
                  "tie_word_embeddings": false,
                  "torch_dtype": "bfloat16",
                  "transformers_version": "4.51.3",
                  "use_cache": true,
                  "vocab_size": 512
                }
                """;
        assertThat(ModelConfig.of(HfModelFiles.config(SynthModelSpec.defaults()), "x").toJson()).isEqualTo(expected);
    }

    @Test
    void llama3RopeScalingAndOtherArchitecturesSpecificValues() {
        ModelConfig llama3 = ModelConfig.of(HfModelFiles.config(SynthModelSpec.defaults().withLlama3RopeScaling(true)),
                "x");
        assertThat(llama3.ropeScaling().orElseThrow().toString()).isEqualTo("{\"factor\":8.0,\"high_freq_factor\":4.0,"
                + "\"low_freq_factor\":1.0,\"original_max_position_embeddings\":512,\"rope_type\":\"llama3\"}");
        assertThat(llama3.ropeTheta()).isEqualTo(500000.0);
        assertThat(llama3.maxPositionEmbeddings()).hasValue(4096);
        ModelConfig mistral = ModelConfig.of(HfModelFiles.config(SynthModelSpec.defaults().withArch(SynthArch.MISTRAL)),
                "x");
        assertThat(mistral.get("sliding_window").orElseThrow().isNull()).isTrue();
        ModelConfig qwen2 = ModelConfig.of(HfModelFiles.config(SMALL.withArch(SynthArch.QWEN2)
                .withTieEmbeddings(true).withDtype(DType.F32)), "x");
        assertThat(qwen2.get("use_sliding_window").orElseThrow().booleanValue()).isFalse();
        assertThat(qwen2.requireInt("max_window_layers")).isEqualTo(2);
        assertThat(qwen2.rmsNormEps()).isEqualTo(1e-6);
        assertThat(qwen2.ropeTheta()).isEqualTo(1e6);
        assertThat(qwen2.tieWordEmbeddings()).isTrue();
        assertThat(qwen2.torchDtype()).contains(DType.F32);
        ModelConfig qwen3 = ModelConfig.of(HfModelFiles.config(SynthModelSpec.defaults().withArch(SynthArch.QWEN3)),
                "x");
        assertThat(qwen3.headDim()).isEqualTo(16);
        assertThat(qwen3.requireInt("head_dim")).isEqualTo(16);
    }

    @Test
    void writesEveryFileOfAHuggingFaceDirectory(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("model");
        ModelSynthesizer.Result r = ModelSynthesizer.write(SynthModelSpec.defaults(), out);
        try (Stream<Path> files = Files.list(out)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("config.json",
                    "generation_config.json", "model.safetensors", "special_tokens_map.json", "tokenizer.json",
                    "tokenizer_config.json");
        }
        // 512*64 embed + 512*64 head + 64 norm + 4 layers * (64*64 q + 2*32*64 kv + 64*64 o + 3*176*64 mlp + 2*64)
        long perLayer = 64 * 64 + 2 * 32 * 64 + 64 * 64 + 3 * 176 * 64 + 2 * 64;
        assertThat(r.parameters()).isEqualTo(2L * 512 * 64 + 64 + 4 * perLayer);
        assertThat(r.bytes()).isEqualTo(2 * r.parameters());
        JsonNode tc = new ObjectMapper().readTree(out.resolve("tokenizer_config.json").toFile());
        assertThat(tc.get("bos_token").asText()).isEqualTo("<s>");
        assertThat(tc.get("eos_token").asText()).isEqualTo("</s>");
        assertThat(tc.get("pad_token").asText()).isEqualTo("</s>");
        assertThat(tc.get("add_bos_token").asBoolean()).isTrue();
        assertThat(tc.get("model_max_length").asInt()).isEqualTo(2048);
        assertThat(tc.get("chat_template").asText()).isEqualTo(HfModelFiles.CHAT_TEMPLATE);
        assertThat(Files.readString(out.resolve("generation_config.json"))).isEqualTo("""
                {
                  "_from_model_config": true,
                  "bos_token_id": 1,
                  "eos_token_id": 2,
                  "transformers_version": "4.51.3"
                }
                """);
    }

    @Test
    void weightsHaveTheDocumentedScales(@TempDir Path tmp) {
        ModelSynthesizer.write(SynthModelSpec.defaults().withDtype(DType.F32), tmp.resolve("m"));
        try (SafetensorsModel m = SafetensorsModel.open(tmp.resolve("m"))) {
            double[] norm = moments(m.tensor("model.layers.2.input_layernorm.weight"));
            assertThat(norm[0]).isCloseTo(1.0, within(0.02));
            assertThat(norm[1]).isCloseTo(0.05, within(0.015));
            double[] down = moments(m.tensor("model.layers.1.mlp.down_proj.weight"));
            assertThat(down[0]).isCloseTo(0.0, within(0.003));
            assertThat(down[1]).isCloseTo(1 / Math.sqrt(176), within(0.003));
            double[] q = moments(m.tensor("model.layers.0.self_attn.q_proj.weight"));
            assertThat(q[1]).isCloseTo(1 / Math.sqrt(64), within(0.005));
            double[] embed = moments(m.tensor("model.embed_tokens.weight"));
            assertThat(embed[1]).isCloseTo(3 / Math.sqrt(64), within(0.01));
        }
    }

    /** mean and standard deviation. */
    static double[] moments(Tensor t) {
        double sum = 0;
        double sumSq = 0;
        for (long i = 0; i < t.numel(); i++) {
            double v = t.getDouble(i);
            sum += v;
            sumSq += v * v;
        }
        double mean = sum / t.numel();
        return new double[] {mean, Math.sqrt(sumSq / t.numel() - mean * mean)};
    }

    @Test
    void sameSpecGivesByteIdenticalFilesAndTheRecordedDigests(@TempDir Path tmp) throws Exception {
        SynthModelSpec spec = SMALL.withSeed(7);
        ModelSynthesizer.write(spec, tmp.resolve("a"));
        ModelSynthesizer.write(spec, tmp.resolve("b"));
        for (String f : List.of("config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
                "tokenizer_config.json", "special_tokens_map.json")) {
            assertThat(Files.readAllBytes(tmp.resolve("b").resolve(f))).as(f)
                    .isEqualTo(Files.readAllBytes(tmp.resolve("a").resolve(f)));
        }
        // Regression constants recorded from the first run (not a correctness oracle): a change means synthetic
        // models, and every fixture built from them, changed. The weights are hashed as names, dtypes, shapes and
        // raw data so that the check does not depend on the safetensors header layout.
        assertThat(tensorDigest(tmp.resolve("a"))).isEqualTo(WEIGHTS_SHA256);
        assertThat(sha256(tmp.resolve("a/tokenizer.json"))).isEqualTo(TOKENIZER_SHA256);
        assertThat(sha256(tmp.resolve("a/config.json"))).isEqualTo(CONFIG_SHA256);

        ModelSynthesizer.write(spec.withSeed(8), tmp.resolve("c"));
        assertThat(Files.readAllBytes(tmp.resolve("c/model.safetensors")))
                .isNotEqualTo(Files.readAllBytes(tmp.resolve("a/model.safetensors")));
        assertThat(Files.readAllBytes(tmp.resolve("c/tokenizer.json")))
                .isEqualTo(Files.readAllBytes(tmp.resolve("a/tokenizer.json")));
    }

    static final String WEIGHTS_SHA256 = "743bd475331b7a7cac16e7ed5b0c11bdab109b8b8bd0066a98dbc1210c1252dd";
    static final String TOKENIZER_SHA256 = "9f616daed7747b9cd3f3bd5db54c80008b1412b460c2af0bb06895d015fd3348";
    static final String CONFIG_SHA256 = "e210a3aad046a82f17714a2e9c1b96708dcbf229d926755785cbe5396a4cd74d";

    /** SHA-256 over every tensor in name order: name, dtype, shape and little-endian data bytes. */
    static String tensorDigest(Path dir) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (SafetensorsModel m = SafetensorsModel.open(dir)) {
            for (String name : m.tensorNames().stream().sorted().toList()) {
                Tensor t = m.tensor(name);
                md.update((name + "|" + t.dtype() + "|" + t.shape() + "|").getBytes(StandardCharsets.UTF_8));
                md.update(t.data().toArray(ValueLayout.JAVA_BYTE));
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    @Test
    void existingNonEmptyOutputIsRefusedAndLeftAlone(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("m");
        Files.createDirectories(out);
        Files.writeString(out.resolve("keep.txt"), "mine");
        assertThatThrownBy(() -> ModelSynthesizer.write(SMALL, out)).isInstanceOf(EvomergeException.class)
                .hasMessageContaining("already exists and is not empty");
        try (Stream<Path> files = Files.list(tmp)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("m");
        }
        assertThat(Files.readString(out.resolve("keep.txt"))).isEqualTo("mine");
    }

    @Test
    void invalidSpecsAreRejectedWithOneSentence() {
        SynthModelSpec d = SynthModelSpec.defaults();
        assertThatThrownBy(() -> d.withWidth(64, 5, 5, 176).validate()).isInstanceOf(EvomergeException.class)
                .hasMessage("--hidden (64) must be divisible by --heads (5).");
        assertThatThrownBy(() -> d.withWidth(64, 4, 3, 176).validate())
                .hasMessage("--heads (4) must be divisible by --kv-heads (3).");
        assertThatThrownBy(() -> d.withVocabSize(258).validate()).hasMessage(
                "--vocab must be between 259 (3 special tokens and 256 byte tokens) and 65536, got 258.");
        assertThatThrownBy(() -> d.withWidth(60, 4, 2, 176).validate())
                .hasMessage("--hidden / --heads (15) must be even for rotary position embeddings.");
        assertThatThrownBy(() -> d.withLayers(0).validate()).hasMessage("--layers must be at least 1, got 0.");
        assertThatThrownBy(() -> d.withDtype(DType.F64).validate())
                .hasMessage("--dtype must be bf16, fp16 or fp32, got float64.");
        assertThatThrownBy(() -> d.withArch(SynthArch.MISTRAL).withLlama3RopeScaling(true).validate())
                .hasMessage("--rope-scaling llama3 is not available for mistral: its transformers config has no "
                        + "rope_scaling.");
        assertThatThrownBy(() -> SynthArch.parse("gpt2"))
                .hasMessage("Unknown architecture 'gpt2' for synth: expected one of llama, mistral, qwen2, qwen3.");
        assertThat(SynthArch.parse("Qwen3")).isEqualTo(SynthArch.QWEN3);
    }
}
