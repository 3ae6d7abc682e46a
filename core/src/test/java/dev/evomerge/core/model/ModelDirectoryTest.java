package dev.evomerge.core.model;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.safetensors.SafetensorsWriter;
import dev.evomerge.core.synth.ModelSynthesizer;
import dev.evomerge.core.synth.SynthModelSpec;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelDirectoryTest {

    @Test
    void shortNameIsTheLastSegmentOfAPathOrHubId() {
        assertThat(ModelDirectory.shortName("Qwen/Qwen2.5-0.5B")).isEqualTo("Qwen2.5-0.5B");
        assertThat(ModelDirectory.shortName("/models/a/")).isEqualTo("a");
        assertThat(ModelDirectory.shortName("C:\\models\\b")).isEqualTo("b");
        assertThat(ModelDirectory.shortName("plain")).isEqualTo("plain");
    }

    @Test
    void missingDirectoryFileOrConfigAreUsageErrorsNamingThePath(@TempDir Path tmp) throws Exception {
        Path missing = tmp.resolve("nope");
        assertThatThrownBy(() -> ModelDirectory.open(missing)).isInstanceOf(EvomergeException.class)
                .hasMessage("Model directory " + missing + " does not exist.");
        Path file = Files.writeString(tmp.resolve("file.txt"), "x");
        assertThatThrownBy(() -> ModelDirectory.open(file)).hasMessage("Model path " + file + " is not a directory.");
        Path empty = Files.createDirectory(tmp.resolve("empty"));
        assertThatThrownBy(() -> ModelDirectory.open(empty)).hasMessage("Model directory " + empty
                + " has no config.json.");
        Files.writeString(empty.resolve("config.json"), "{oops");
        assertThatThrownBy(() -> ModelDirectory.open(empty)).isInstanceOf(EvomergeException.class)
                .hasMessageStartingWith("Config " + empty.resolve("config.json") + " is not valid JSON");
    }

    @Test
    void weightsOpenOnlyWhenAskedFor(@TempDir Path tmp) throws Exception {
        // a config without weights opens fine; asking for tensors is what fails
        Files.writeString(tmp.resolve("config.json"), "{\"architectures\": [\"LlamaForCausalLM\"]}");
        try (ModelDirectory dir = ModelDirectory.open(tmp)) {
            assertThat(dir.config().architecture()).isEqualTo("LlamaForCausalLM");
            assertThatThrownBy(dir::tensors).isInstanceOf(EvomergeException.class);
        }
    }

    @Test
    void synthesizedModelOpensWithItsTemplate(@TempDir Path tmp) {
        Path out = tmp.resolve("m");
        ModelSynthesizer.write(SynthModelSpec.defaults().withLayers(2).withTieEmbeddings(true), out);
        try (ModelDirectory dir = ModelDirectory.open(out)) {
            assertThat(dir.tensors()).isSameAs(dir.tensors());
            assertThat(dir.tensors().tensorNames()).hasSize(1 + 2 * 9 + 1);
            ArchitectureTemplate arch = dir.architecture();
            assertThat(arch.modelType()).isEqualTo("llama");
            assertThat(arch.numLayers(dir.config())).isEqualTo(2);
        }
    }

    @Test
    void unknownArchitecturesAreInferredFromTensorNames(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("config.json"), "{\"architectures\": [\"TinyLM\"]}");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("wte.weight", Tensor.allocate(DType.F32, Shape.of(4, 2)));
        tensors.put("h.0.w", Tensor.allocate(DType.F32, Shape.of(2, 2)));
        tensors.put("h.1.w", Tensor.allocate(DType.F32, Shape.of(2, 2)));
        SafetensorsWriter.writeFile(tmp.resolve("model.safetensors"), tensors);
        try (ModelDirectory dir = ModelDirectory.open(tmp)) {
            ArchitectureTemplate arch = dir.architecture();
            assertThat(arch.overrideNumLayers()).hasValue(2);
            assertThat(arch.allWeightNames(2)).containsExactly("wte.weight", "h.0.w", "h.1.w");
        }
    }

    @Test
    void auxiliaryFilesThatExistAreCopied(@TempDir Path tmp) throws Exception {
        Path src = Files.createDirectory(tmp.resolve("src"));
        Files.writeString(src.resolve("config.json"), "{}");
        Files.writeString(src.resolve("tokenizer.json"), "{\"t\": 1}");
        Files.writeString(src.resolve("merges.txt"), "a b\n");
        Files.writeString(src.resolve("chat_template.jinja"), "{{ x }}");
        Files.writeString(src.resolve("README.md"), "not copied");
        Path dst = Files.createDirectory(tmp.resolve("dst"));
        Files.writeString(dst.resolve("tokenizer.json"), "old");
        try (ModelDirectory dir = ModelDirectory.open(src)) {
            assertThat(dir.copyAuxiliaryFiles(dst)).containsExactly("tokenizer.json", "merges.txt",
                    "chat_template.jinja");
        }
        assertThat(Files.readString(dst.resolve("tokenizer.json"))).isEqualTo("{\"t\": 1}");
        assertThat(Files.readString(dst.resolve("merges.txt"))).isEqualTo("a b\n");
        assertThat(dst.resolve("README.md")).doesNotExist();
        assertThat(dst.resolve("config.json")).doesNotExist();
    }
}
