package dev.evomerge.cli;

import dev.evomerge.core.safetensors.SafetensorsModel;
import dev.evomerge.core.safetensors.SafetensorsWriter;
import dev.evomerge.core.synth.FineTuneSynthesizer;
import dev.evomerge.core.synth.ModelSynthesizer;
import dev.evomerge.core.synth.SynthArch;
import dev.evomerge.core.synth.SynthModelSpec;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code evomerge merge} in-process: a merge, its output line, and every validation error (exit 2, nothing written). */
class MergeCommandTest {

    @TempDir
    static Path dir;
    static Path base;
    static Path tune;
    static Path wide;
    static Path qwen;
    static Path mistral;
    static Path holed;

    private static SynthModelSpec spec(SynthArch arch, int intermediate, long seed) {
        return new SynthModelSpec(arch, 272, 16, 2, 2, 1, intermediate, DType.F32, seed, false, false);
    }

    @BeforeAll
    static void models() throws IOException {
        base = ModelSynthesizer.write(spec(SynthArch.LLAMA, 24, 1), dir.resolve("base")).directory();
        tune = dir.resolve("tune");
        FineTuneSynthesizer.write(base, tune, 2, 0.5);
        wide = ModelSynthesizer.write(spec(SynthArch.LLAMA, 32, 3), dir.resolve("wide")).directory();
        qwen = ModelSynthesizer.write(spec(SynthArch.QWEN2, 24, 4), dir.resolve("qwen")).directory();
        mistral = ModelSynthesizer.write(spec(SynthArch.MISTRAL, 24, 5), dir.resolve("mistral")).directory();
        holed = dir.resolve("holed");
        Files.createDirectories(holed);
        for (String f : new String[] {"config.json", "tokenizer.json", "tokenizer_config.json"}) {
            Files.copy(base.resolve(f), holed.resolve(f));
        }
        Map<String, Tensor> kept = new LinkedHashMap<>();
        try (SafetensorsModel m = SafetensorsModel.open(base)) {
            for (String name : m.tensorNames()) {
                if (!name.equals("model.layers.1.mlp.up_proj.weight")) {
                    Tensor t = m.tensor(name);
                    Tensor copy = Tensor.allocate(t.dtype(), t.shape());
                    copy.data().copyFrom(t.data());
                    kept.put(name, copy);
                }
            }
        }
        SafetensorsWriter.writeFile(holed.resolve("model.safetensors"), kept);
    }


    private static Path config(String name, String yaml) throws IOException {
        Path f = dir.resolve(name + ".yml");
        Files.writeString(f, yaml.replace("BASE", base.toString()).replace("TUNE", tune.toString())
                .replace("WIDE", wide.toString()).replace("QWEN", qwen.toString())
                .replace("MISTRAL", mistral.toString()).replace("HOLED", holed.toString()));
        return f;
    }

    private static long siblings(Path out) throws IOException {
        try (Stream<Path> s = Files.list(out.getParent())) {
            return s.filter(p -> p.getFileName().toString().startsWith("." + out.getFileName())).count();
        }
    }

    @Test
    void mergesAndReportsWhatItWrote() throws IOException {
        Path cfg = config("ok", """
                merge_method: ties
                base_model: BASE
                models:
                  - {model: TUNE, parameters: {weight: 1, density: 0.5, frob: 2}}
                dtype: bfloat16
                """);
        Path out = dir.resolve("ok-out");
        CliRun r = CliRun.run("merge", cfg.toString(), out.toString(), "-j", "2", "--out-shard-size", "10K",
                "--random-seed", "3", "--no-write-model-card", "--no-copy-tokenizer");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).matches("Merged 21 tensors \\(0\\.\\d\\d GB written\\) into .*ok-out in \\d+\\.\\d s\\.\\R");
        assertThat(r.err()).isEqualTo("evomerge: warning: Parameter 'frob' is not read by method ties and ignored"
                + " (it reads 'int8_mask', 'normalize', 'rescale', 'lambda', 'weight', 'density')."
                + System.lineSeparator());
        assertThat(out.resolve("model.safetensors.index.json")).exists();
        assertThat(out.resolve("README.md")).doesNotExist();
        assertThat(out.resolve("tokenizer.json")).doesNotExist();
    }

    @Test
    void quietPrintsNothingAndCrimesAllowMixedArchitectures() throws IOException {
        Path cfg = config("crimes", """
                merge_method: linear
                models:
                  - {model: BASE, parameters: {weight: 0.5}}
                  - {model: MISTRAL, parameters: {weight: 0.5}}
                """);
        Path out = dir.resolve("crimes-out");
        CliRun r = CliRun.run("merge", cfg.toString(), out.toString(), "--allow-crimes", "--quiet");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("Merging different architectures");
        assertThat(out.resolve("model.safetensors")).exists();
    }

    record Invalid(String name, String yaml, String message) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Invalid> invalid() {
        return Stream.of(
                new Invalid("unknown method", """
                        merge_method: averaging
                        models: [{model: BASE}]
                        """, "Unknown merge_method 'averaging': expected one of linear, task_arithmetic, ties, dare_ties,"
                        + " dare_linear, breadcrumbs, breadcrumbs_ties, della, della_linear, slerp, nuslerp, multislerp,"
                        + " karcher, model_stock, nearswap, arcee_fusion, sce, ram, ramplus_tl, passthrough."),
                new Invalid("missing tensor", """
                        merge_method: linear
                        models:
                          - {model: BASE, parameters: {weight: 1}}
                          - {model: HOLED, parameters: {weight: 1}}
                        """, "Tensor model.layers.1.mlp.up_proj.weight is required but not present in model HOLED"
                        + " (HOLED)."),
                new Invalid("shape mismatch", """
                        merge_method: linear
                        models:
                          - {model: BASE, parameters: {weight: 1}}
                          - {model: WIDE, parameters: {weight: 1}}
                        """, "Shape mismatch for tensor model.layers.0.mlp.gate_proj.weight: [24, 16] in BASE,"
                        + " [32, 16] in WIDE."),
                new Invalid("layer range beyond the model", """
                        merge_method: passthrough
                        slices:
                          - sources: [{model: BASE, layer_range: [1, 3]}]
                        """, "Slice 0: layer_range [1, 3] of model BASE goes beyond its 2 layers (the end is"
                        + " exclusive)."),
                new Invalid("slices of unequal length", """
                        merge_method: linear
                        slices:
                          - sources:
                              - {model: BASE, layer_range: [0, 2]}
                              - {model: TUNE, layer_range: [1, 2]}
                        parameters: {weight: 1}
                        """, "Slice 0: all sources must have the same number of layers, but BASE has 2 [0, 2] and"
                        + " TUNE has 1 [1, 2]."),
                new Invalid("missing required parameter", """
                        merge_method: slerp
                        base_model: BASE
                        models: [{model: TUNE}]
                        """, "Method slerp needs parameter 't' for tensor model.embed_tokens.weight; set it under"
                        + " parameters."),
                new Invalid("della epsilon out of range", """
                        merge_method: della
                        base_model: BASE
                        models: [{model: TUNE, parameters: {weight: 1, density: 0.3, epsilon: 0.35}}]
                        """, "Method della, model TUNE, tensor model.embed_tokens.weight: epsilon 0.35 is out of"
                        + " range for density 0.3; it needs 0 < density - epsilon and density + epsilon < 1."),
                new Invalid("mixed architectures", """
                        merge_method: linear
                        models:
                          - {model: BASE, parameters: {weight: 1}}
                          - {model: QWEN, parameters: {weight: 1}}
                        """, "The models have different architectures (BASE is LlamaForCausalLM, QWEN is"
                        + " Qwen2ForCausalLM); pass --allow-crimes to merge them anyway."),
                new Invalid("not a local directory", """
                        merge_method: linear
                        models: [{model: meta-llama/Llama-3.2-1B, parameters: {weight: 1}}]
                        """, "Model 'meta-llama/Llama-3.2-1B' (looked at CWD/meta-llama/Llama-3.2-1B) is not a"
                        + " local directory"), // relative to the working directory, not the config's folder (mergekit)
                new Invalid("lora reference", """
                        merge_method: linear
                        models: [{model: BASE+some/lora, parameters: {weight: 1}}]
                        """, "Model reference 'BASE+some/lora' applies the LoRA adapter 'some/lora'; evomerge does"
                        + " not apply LoRA adapters"),
                new Invalid("base not among slice sources", """
                        merge_method: ties
                        base_model: BASE
                        slices:
                          - sources: [{model: TUNE, layer_range: [0, 2], parameters: {weight: 1}}]
                        """, "Slice 0: base model BASE is not among its sources; add it as a source with a"
                        + " layer_range of the same length."),
                new Invalid("infinite weight", """
                        merge_method: linear
                        models: [{model: BASE, parameters: {weight: 1e400}}]
                        """, "'models[0].parameters.weight' (model BASE) is too large for a number (it reads as"
                        + " Infinity); merge parameters must be finite numbers."),
                new Invalid("density above one", """
                        merge_method: ties
                        base_model: BASE
                        models: [{model: TUNE, parameters: {weight: 1, density: 1.5}}]
                        """, "Method ties: parameter 'density' for model TUNE, tensor model.embed_tokens.weight is"
                        + " 1.5; it is a fraction and must be between 0 and 1."),
                new Invalid("negative density", """
                        merge_method: dare_ties
                        base_model: BASE
                        models: [{model: TUNE, parameters: {weight: 1, density: -0.3}}]
                        """, "Method dare_ties: parameter 'density' for model TUNE, tensor model.embed_tokens.weight"
                        + " is -0.3; it is a fraction and must be between 0 and 1."),
                new Invalid("bad config key", """
                        merge_method: linear
                        slices: [{sources: [{model: BASE, layer_range: 3}]}]
                        """, "'slices[0].sources[0].layer_range' must be a list of two integers"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalid")
    void invalidMergesExitTwoWithOneSentenceAndWriteNothing(Invalid k) throws IOException {
        Path cfg = config(k.name().replace(' ', '-'), k.yaml());
        Path out = dir.resolve("nothing-" + k.name().replace(' ', '-'));
        CliRun r = CliRun.run("merge", cfg.toString(), out.toString());
        String message = k.message().replace("BASE", base.toString()).replace("TUNE", tune.toString())
                .replace("WIDE", wide.toString()).replace("QWEN", qwen.toString()).replace("HOLED", holed.toString())
                .replace("CWD", Path.of("").toAbsolutePath().toString());
        assertThat(r.exit()).as(r.err()).isEqualTo(Main.EXIT_USAGE);
        assertThat(r.err()).startsWith("evomerge: ").contains(message);
        assertThat(r.err().lines().filter(l -> !l.startsWith("evomerge: warning:")).count()).isEqualTo(1);
        assertThat(out).doesNotExist();
        assertThat(siblings(out)).isZero();
    }

    @Test
    void aNonEmptyOutputDirectoryIsRefusedBeforeReadingModels() throws IOException {
        Path cfg = config("exists", """
                merge_method: linear
                models: [{model: BASE, parameters: {weight: 1}}]
                """);
        Path out = Files.createDirectories(dir.resolve("exists-out"));
        Files.writeString(out.resolve("notes.txt"), "mine");
        CliRun r = CliRun.run("merge", cfg.toString(), out.toString());
        assertThat(r.exit()).isEqualTo(Main.EXIT_USAGE);
        assertThat(r.err()).isEqualTo("evomerge: Output directory " + out + " already exists and is not empty;"
                + " choose another path or remove it." + System.lineSeparator());
        try (Stream<Path> s = Files.list(out)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("notes.txt");
        }
    }

    @Test
    void badOptionValuesAreUsageErrors() throws IOException {
        Path cfg = config("opts", "merge_method: linear\nmodels: [{model: BASE, parameters: {weight: 1}}]\n");
        CliRun shard = CliRun.run("merge", cfg.toString(), dir.resolve("o1").toString(), "--out-shard-size", "5G");
        assertThat(shard.exit()).isEqualTo(Main.EXIT_USAGE);
        assertThat(shard.err()).startsWith("evomerge: --out-shard-size '5G' is not a size");
        CliRun missing = CliRun.run("merge", dir.resolve("nope.yml").toString(), dir.resolve("o2").toString());
        assertThat(missing.exit()).isEqualTo(Main.EXIT_USAGE);
        assertThat(missing.err()).isEqualTo("evomerge: Merge config " + dir.resolve("nope.yml")
                + " does not exist." + System.lineSeparator());
        Path latin1 = Files.write(dir.resolve("latin1.yml"),
                "merge_method: linear\n# caf\u00e9\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        CliRun notUtf8 = CliRun.run("merge", latin1.toString(), dir.resolve("o4").toString());
        assertThat(notUtf8.exit()).isEqualTo(Main.EXIT_USAGE);
        assertThat(notUtf8.err()).isEqualTo("evomerge: Merge config " + latin1 + " is not UTF-8 text (byte 26 on line"
                + " 2 is 0xE9); save it as UTF-8." + System.lineSeparator());
        CliRun verbose = CliRun.run("merge", dir.resolve("nope.yml").toString(), dir.resolve("o3").toString(), "-v");
        assertThat(verbose.err()).contains("\tat ");
    }
}
