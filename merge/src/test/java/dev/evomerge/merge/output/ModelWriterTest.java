package dev.evomerge.merge.output;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.model.ModelConfig;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.merge.MergeOptions;
import dev.evomerge.merge.MergeReporter;
import dev.evomerge.merge.MergeSession;
import dev.evomerge.merge.config.MergeConfigReader;
import dev.evomerge.merge.exec.MergeExecutor;
import dev.evomerge.merge.method.MaskSource;
import dev.evomerge.merge.plan.JobParameters;
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
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The files of a merged model: shards, index, config.json, tokenizer, model card, atomicity (docs/merging.md). */
class ModelWriterTest {

    @TempDir
    static Path dir;
    static Path a;
    static Path b;

    @BeforeAll
    static void models() {
        a = TestModels.base(dir, "a", 3, DType.F32, 61);
        b = TestModels.fineTune(a, dir, "b", 62);
    }

    private static final String SLICES = """
            # a frankenmerge
            merge_method: passthrough
            slices:
              - sources: [{model: A, layer_range: [0, 3]}]
              - sources: [{model: B, layer_range: [1, 3]}]
            out_dtype: bfloat16
            """;

    private static Path write(String yaml, String name, MergeOptions options) {
        Path out = dir.resolve(name);
        String text = yaml.replace("A", a.toString()).replace("B", b.toString());
        try (MergeSession s = MergeSession.open(MergeConfigReader.parse(text, "cfg.yml", w -> { }), options,
                MergeReporter.silent())) {
            s.writeModel(out);
        }
        return out;
    }

    private static List<String> files(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aSliceMergeWritesConfigTokenizerCardAndOneShard() throws IOException {
        Path out = write(SLICES, "slices", MergeOptions.defaults().withThreads(2));
        assertThat(files(out)).containsExactly("README.md", "config.json", "generation_config.json",
                "mergekit_config.yml", "model.safetensors", "special_tokens_map.json", "tokenizer.json",
                "tokenizer_config.json");
        ModelConfig cfg = ModelConfig.read(out.resolve("config.json"));
        assertThat(cfg.numLayers()).isEqualTo(5);
        assertThat(cfg.torchDtype()).contains(DType.BF16);
        assertThat(cfg.vocabSize()).isEqualTo(TestModels.VOCAB);
        assertThat(Files.readString(out.resolve("mergekit_config.yml")))
                .isEqualTo(SLICES.replace("A", a.toString()).replace("B", b.toString()));
        String card = Files.readString(out.resolve("README.md"));
        assertThat(card).startsWith("---\nlibrary_name: transformers\ntags:\n- mergekit\n- merge\n")
                .contains("Merge method: Passthrough.").contains("* " + a).contains("* " + b)
                .contains("```yaml\n# a frankenmerge\n");
        assertThat(Files.readString(out.resolve("tokenizer.json"))).isEqualTo(Files.readString(a.resolve(
                "tokenizer.json")));
        Map<String, Values> got = TestModels.read(out);
        Map<String, Values> vb = TestModels.read(b);
        // output layer 4 is b's layer 2, cast to bf16
        Values w = got.get("model.layers.4.mlp.down_proj.weight");
        assertThat(w.dtype()).isEqualTo(DType.BF16);
        double[] src = vb.get("model.layers.2.mlp.down_proj.weight").data();
        for (int i = 0; i < src.length; i++) {
            assertThat(w.get(i)).isEqualTo(TestModels.round(src[i], DType.BF16));
        }
    }

    @Test
    void shardsFollowOutShardSizeWithAnIndex() throws IOException {
        long limit = 8_000;
        Path sharded = write(SLICES, "sharded", MergeOptions.defaults().withThreads(2).withMaxShardBytes(limit));
        List<String> names = files(sharded).stream().filter(f -> f.endsWith(".safetensors")).toList();
        assertThat(names.size()).isGreaterThan(2);
        int n = names.size();
        assertThat(names).allMatch(f -> f.matches("model-\\d{5}-of-" + String.format("%05d", n) + "\\.safetensors"));
        JsonNode index = new ObjectMapper().readTree(sharded.resolve("model.safetensors.index.json").toFile());
        assertThat(index.at("/weight_map").size()).isEqualTo(TestModels.names(sharded).size());
        Path single = write(SLICES, "single", MergeOptions.defaults().withThreads(1));
        assertThat(files(single)).doesNotContain("model.safetensors.index.json");
        Map<String, Values> one = TestModels.read(single);
        Map<String, Values> many = TestModels.read(sharded);
        assertThat(many.keySet()).containsExactlyInAnyOrderElementsOf(one.keySet());
        for (String t : one.keySet()) {
            assertThat(many.get(t).data()).isEqualTo(one.get(t).data());
        }
    }

    @Test
    void noModelCardAndNoTokenizerWhenSwitchedOff() throws IOException {
        Path out = write(SLICES, "bare", MergeOptions.defaults().withOutputFiles(false, false));
        assertThat(files(out)).containsExactly("config.json", "model.safetensors");
    }

    @Test
    void aFailureDuringTheMergeLeavesNoOutputAndNoTemporaryDirectory() throws IOException {
        String yaml = """
                merge_method: linear
                models:
                  - {model: A, parameters: {weight: 1}}
                """.replace("A", a.toString());
        Path out = dir.resolve("failed");
        try (MergeSession s = MergeSession.open(MergeConfigReader.parse(yaml, "cfg.yml", w -> { }),
                MergeOptions.defaults(), MergeReporter.silent())) {
            List<JobParameters> params = new ArrayList<>(s.plan().parameters());
            JobParameters last = params.getLast();
            params.set(params.size() - 1, new JobParameters(last.global(), List.of(Map.of())));
            ModelWriter.Options options = new ModelWriter.Options(
                    new MergeExecutor.Options(2, MaskSource.seeded(1), null), ShardSize.DEFAULT, true, true);
            assertThatThrownBy(() -> ModelWriter.write(s.plan(), params, out, options, w -> { }, j -> { }))
                    .isInstanceOf(EvomergeException.class)
                    .hasMessageContaining("needs parameter 'weight'");
        }
        assertThat(out).doesNotExist();
        assertThat(files(dir)).noneMatch(f -> f.startsWith(".failed"));
    }

    @Test
    void anExistingNonEmptyOutputIsRefusedAndAnEmptyOneIsUsed() throws IOException {
        Path full = Files.createDirectories(dir.resolve("full"));
        Files.writeString(full.resolve("keep.txt"), "x");
        assertThatThrownBy(() -> ModelWriter.checkTarget(full)).isInstanceOf(EvomergeException.class)
                .hasMessage("Output directory " + full + " already exists and is not empty; choose another path or"
                        + " remove it.");
        Files.createDirectories(dir.resolve("empty"));
        Path out = write(SLICES, "empty", MergeOptions.defaults());
        assertThat(files(out)).contains("model.safetensors");
    }

    @Test
    void anAbandonedTemporaryOfTheTargetIsRemovedWithAWarning() throws IOException {
        // what a merge killed with -9 leaves: a hidden sibling with a lock file that no process holds
        Path stale = Files.createDirectories(dir.resolve(".again.tmp-00aa11bb22cc"));
        Files.writeString(stale.resolve("model.safetensors"), "half");
        Files.writeString(stale.resolve(dev.evomerge.core.io.AtomicDirectory.LOCK_FILE), "");
        Path out = dir.resolve("again");
        List<String> warnings = new ArrayList<>();
        MergeReporter reporter = warnings::add;
        String text = SLICES.replace("A", a.toString()).replace("B", b.toString());
        try (MergeSession s = MergeSession.open(MergeConfigReader.parse(text, "cfg.yml", w -> { }),
                MergeOptions.defaults().withThreads(1), reporter)) {
            s.writeModel(out);
        }
        assertThat(stale).doesNotExist();
        assertThat(warnings).containsExactly("Removed " + stale + ", the unfinished temporary directory of an earlier"
                + " write of " + out + " whose process is gone.");
        assertThat(files(out)).contains("model.safetensors", "config.json").doesNotContain(
                dev.evomerge.core.io.AtomicDirectory.LOCK_FILE);
    }
}
