package dev.evomerge.engine.infer;

import dev.evomerge.core.testing.GoldenModels;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.safetensors.SafetensorsModel;
import dev.evomerge.core.safetensors.SafetensorsWriter;
import dev.evomerge.core.synth.ModelSynthesizer;
import dev.evomerge.core.synth.SynthArch;
import dev.evomerge.core.synth.SynthModelSpec;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.FloatFormats;
import dev.evomerge.core.tensor.RowBlockTarget;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;
import dev.evomerge.core.tensor.TensorSink;
import dev.evomerge.core.tensor.TensorSource;
import dev.evomerge.engine.CausalLanguageModel;
import dev.evomerge.engine.LayerPointer;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.load.ModelLoader;
import dev.evomerge.engine.TestModels;
import dev.evomerge.engine.WeightStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The resident model as TensorSource/TensorSink, and re-pointed layer sequences. */
class ResidentWeightsTest {

    private static final int[] IDS = {1, 40, 50, 60, 70, 80, 90, 100, 110, 120};

    @TempDir
    Path tmp;

    private static double[] logprobs(CausalLanguageModel m) {
        return m.tokenLogprobs(List.of(IDS), 0).getFirst().tokenLogprobs();
    }

    private static void assertSame(double[] a, double[] b) {
        for (int j = 1; j < a.length; j++) {
            assertThat(a[j]).isCloseTo(b[j], within(1e-6));
        }
    }

    @Test
    void sourceExposesCheckpointValuesUnderHfNames() {
        for (WeightStorage storage : WeightStorage.values()) {
            Path dir = GoldenModels.model("qwen2-pico-base");
            try (CausalLanguageModel m = ModelLoader.load(dir, LoadOptions.defaults().withWeightStorage(storage));
                 SafetensorsModel file = SafetensorsModel.open(dir)) {
                TensorSource src = m.weightSource();
                assertThat(new HashSet<>(src.tensorNames())).isEqualTo(new HashSet<>(file.tensorNames()));
                for (String name : file.tensorNames()) {
                    Tensor want = file.tensor(name);
                    Tensor got = src.tensor(name);
                    assertThat(got.shape()).isEqualTo(want.shape());
                    boolean matrix = want.shape().rank() == 2;
                    for (long i = 0; i < want.numel(); i += 7) {
                        float w = want.getFloat(i);
                        // matrices are stored in bf16 when asked; norms and biases stay float32
                        float expected = storage == WeightStorage.BFLOAT16 && matrix
                                ? FloatFormats.bf16ToFloat(FloatFormats.floatToBf16(w)) : w;
                        assertThat(got.getFloat(i)).as(name).isEqualTo(expected);
                    }
                }
            }
        }
    }

    @Test
    void sinkOverwritesWeightsInPlace() {
        double uniform = -Math.log(256);
        try (CausalLanguageModel llama = ModelLoader.load(GoldenModels.model("llama-pico-base"))) {
            TensorSink sink = llama.weightSink();
            sink.accept("lm_head.weight", Tensor.allocate(DType.BF16, Shape.of(256, 64)));
            sink.commit();
            for (double lp : List.of(logprobs(llama)[3], logprobs(llama)[9])) {
                assertThat(lp).isCloseTo(uniform, within(1e-6));
            }
            assertThatThrownBy(() -> sink.accept("lm_head.weight", Tensor.allocate(DType.F32, Shape.of(64, 256))))
                    .isInstanceOf(EvomergeException.class).hasMessageContaining("[256, 64]");
            assertThatThrownBy(() -> sink.accept("model.layers.4.mlp.up_proj.weight",
                    Tensor.allocate(DType.F32, Shape.of(176, 64)))).isInstanceOf(EvomergeException.class)
                    .hasMessageContaining("not a weight");
        }
        try (CausalLanguageModel qwen = ModelLoader.load(GoldenModels.model("qwen2-pico-base"))) {
            // tied: the embedding is also the output projection
            qwen.weightSink().accept("model.embed_tokens.weight", Tensor.allocate(DType.F16, Shape.of(256, 64)));
            assertThat(logprobs(qwen)[5]).isCloseTo(uniform, within(1e-6));
            assertThatThrownBy(() -> qwen.weightSink().accept("lm_head.weight",
                    Tensor.allocate(DType.F32, Shape.of(256, 64)))).isInstanceOf(EvomergeException.class)
                    .hasMessageContaining("tied");
        }
    }

    @Test
    void rowsHandedOverToTheSinkAreTheWeightsAndAcceptOfTheUntouchedTargetCopiesNothing() {
        // k_proj: 32 rows from row 64 of the shared q/k/v matrix (not on a panel boundary); up_proj: 176 rows
        String k = "model.layers.0.self_attn.k_proj.weight";
        String up = "model.layers.1.mlp.up_proj.weight";
        try (CausalLanguageModel m = ModelLoader.load(GoldenModels.model("qwen2-pico-base"),
                LoadOptions.defaults().withWeightStorage(WeightStorage.BFLOAT16))) {
            TensorSink sink = m.weightSink();
            for (String name : List.of(k, up)) {
                Tensor target = sink.target(name);
                RowBlockTarget rows = sink.rowTarget(name);
                assertThat(rows.dtype()).isEqualTo(DType.BF16);
                assertThat(rows.shape()).isEqualTo(target.shape());
                int height = (int) rows.shape().dim(0);
                int cols = (int) rows.shape().dim(1);
                // the target holds 1.0 everywhere, the rows distinct values: the weights must be the rows
                Tensor values = Tensor.allocate(DType.BF16, rows.shape());
                for (long i = 0; i < target.numel(); i++) {
                    target.setFloat(i, 1f);
                    values.setFloat(i, (i % 251) / 64f - 2f);
                }
                for (int r0 = 0; r0 < height; r0 += rows.blockRows()) {
                    int n = Math.min(rows.blockRows(), height - r0);
                    rows.putRows(r0, n, values.data().asSlice(2L * r0 * cols, 2L * n * cols));
                }
                sink.accept(name, target);
                Tensor got = m.weightSource().tensor(name);
                for (long i = 0; i < got.numel(); i++) {
                    assertThat(got.getFloat(i)).as("%s element %d", name, i).isEqualTo(values.getFloat(i));
                }
            }
            // a tensor whose rows did not all arrive is copied from the target by accept
            Tensor target = sink.target(up);
            RowBlockTarget rows = sink.rowTarget(up);
            for (long i = 0; i < target.numel(); i++) {
                target.setFloat(i, 0.5f);
            }
            rows.putRows(0, 1, Tensor.allocate(DType.BF16, Shape.of(rows.shape().dim(1))).data());
            sink.accept(up, target);
            Tensor got = m.weightSource().tensor(up);
            assertThat(got.getFloat(0)).isEqualTo(0.5f);
            assertThat(got.getFloat(got.numel() - 1)).isEqualTo(0.5f);
            // norms and float32 weights take no rows
            assertThat(sink.rowTarget("model.norm.weight")).isNull();
        }
        try (CausalLanguageModel m = ModelLoader.load(GoldenModels.model("qwen2-pico-base"),
                LoadOptions.defaults().withWeightStorage(WeightStorage.FLOAT32))) {
            assertThat(m.weightSink().rowTarget(up)).isNull();
        }
    }

    /**
     * Rows wider than {@link PackedRows#WIDE_ROW} columns (a down_proj of 2080) are taken in blocks of 16 rows where
     * a panel holds a multiple of 16 (on 512-bit vectors), the others a panel at a time; either way the rows handed
     * over, block by block, are the weights.
     */
    @Test
    void wideRowsAreTakenSixteenAtATimeAndAreTheWeights() {
        SynthModelSpec spec = new SynthModelSpec(SynthArch.LLAMA, 300, 64, 1, 4, 2, PackedRows.WIDE_ROW + 32,
                DType.BF16, 3, false, false);
        Path dir = ModelSynthesizer.write(spec, tmp.resolve("wide")).directory();
        int nr = dev.evomerge.engine.compute.PackedMatrix.NR;
        try (CausalLanguageModel m = ModelLoader.load(dir,
                LoadOptions.defaults().withWeightStorage(WeightStorage.BFLOAT16))) {
            TensorSink sink = m.weightSink();
            Map<String, Integer> expectedBlock = Map.of("model.layers.0.mlp.down_proj.weight", nr % 16 == 0 ? 16 : nr,
                    "model.layers.0.mlp.up_proj.weight", nr);
            for (var e : expectedBlock.entrySet()) {
                Tensor target = sink.target(e.getKey());
                RowBlockTarget rows = sink.rowTarget(e.getKey());
                assertThat(rows.blockRows()).as(e.getKey()).isEqualTo(e.getValue());
                int height = (int) rows.shape().dim(0);
                int cols = (int) rows.shape().dim(1);
                Tensor values = Tensor.allocate(DType.BF16, rows.shape());
                for (long i = 0; i < values.numel(); i++) {
                    values.setFloat(i, (i % 241) / 32f - 3f);
                }
                for (int r0 = 0; r0 < height; r0 += rows.blockRows()) {
                    int n = Math.min(rows.blockRows(), height - r0);
                    rows.putQuietRows(r0, n, values.data().asSlice(2L * r0 * cols, 2L * n * cols));
                }
                sink.accept(e.getKey(), target);
                Tensor got = m.weightSource().tensor(e.getKey());
                for (long i = 0; i < got.numel(); i++) {
                    assertThat(got.getFloat(i)).as("%s element %d", e.getKey(), i).isEqualTo(values.getFloat(i));
                }
            }
        }
    }

    @Test
    void writingEveryTensorOfAnotherModelReproducesIt() {
        SynthModelSpec spec = new SynthModelSpec(SynthArch.LLAMA, 300, 64, 2, 4, 2, 128, DType.BF16, 1, false, false);
        Path a = ModelSynthesizer.write(spec, tmp.resolve("a")).directory();
        Path b = ModelSynthesizer.write(spec.withSeed(2), tmp.resolve("b")).directory();
        try (CausalLanguageModel ma = ModelLoader.load(a); CausalLanguageModel mb = ModelLoader.load(b);
             SafetensorsModel fa = SafetensorsModel.open(a)) {
            double[] want = logprobs(ma);
            assertThat(Math.abs(logprobs(mb)[4] - want[4])).isGreaterThan(1e-3);
            TensorSink sink = mb.weightSink();
            for (String name : fa.tensorNames()) {
                sink.accept(name, fa.tensor(name));
            }
            sink.commit();
            assertSame(logprobs(mb), want);
        }
    }

    @Test
    void layerSequenceCanPointAtLayersOfAnotherModel() throws java.io.IOException {
        Path aDir = GoldenModels.model("llama-pico-base");
        Path bDir = ModelSynthesizer.write(new SynthModelSpec(SynthArch.LLAMA, 300, 64, 2, 4, 2, 176, DType.F32, 5,
                false, false), tmp.resolve("b")).directory();
        // The expected model, written to disk: A's embeddings/norm/head, layer 0 = B's layer 1, layer 1 = A's layer 0.
        Path expectedDir = TestModels.withConfig(aDir, tmp.resolve("expected"), c -> c.put("num_hidden_layers", 2));
        try (SafetensorsModel fa = SafetensorsModel.open(aDir); SafetensorsModel fb = SafetensorsModel.open(bDir)) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (String n : fa.tensorNames()) {
                if (n.startsWith("model.layers.0.")) {
                    tensors.put(n.replace("model.layers.0.", "model.layers.1."), fa.tensor(n));
                } else if (!n.startsWith("model.layers.")) {
                    tensors.put(n, fa.tensor(n));
                }
            }
            for (String n : fb.tensorNames()) {
                if (n.startsWith("model.layers.1.")) {
                    tensors.put(n.replace("model.layers.1.", "model.layers.0."), fb.tensor(n));
                }
            }
            java.nio.file.Files.delete(expectedDir.resolve("model.safetensors"));
            SafetensorsWriter.writeFile(expectedDir.resolve("model.safetensors"), tensors);
        }
        try (CausalLanguageModel a = ModelLoader.load(aDir); CausalLanguageModel b = ModelLoader.load(bDir);
             CausalLanguageModel expected = ModelLoader.load(expectedDir)) {
            double[] original = logprobs(a);
            List<LayerPointer> own = a.layers();
            assertThat(own).hasSize(4);
            a.setLayers(List.of(new LayerPointer(b, 1), new LayerPointer(a, 0)));
            assertThat(a.spec().numLayers()).isEqualTo(2);
            assertThat(a.weightSource().tensorNames()).contains("model.layers.1.mlp.up_proj.weight")
                    .doesNotContain("model.layers.2.mlp.up_proj.weight");
            assertSame(logprobs(a), logprobs(expected));
            a.setLayers(own);
            assertSame(logprobs(a), original);
            try (CausalLanguageModel qwen = ModelLoader.load(GoldenModels.model("qwen2-pico-base"))) {
                assertThatThrownBy(() -> a.setLayers(List.of(new LayerPointer(qwen, 0))))
                        .isInstanceOf(EvomergeException.class).hasMessageContaining("different shapes");
            }
            assertThatThrownBy(() -> a.setLayers(List.of(new LayerPointer(b, 2))))
                    .isInstanceOf(EvomergeException.class).hasMessageContaining("2 layers");
        }
    }

    @Test
    void loadProgressReportsEveryTensorAndAllBytes() {
        List<dev.evomerge.engine.LoadProgress> events = new java.util.ArrayList<>();
        Path dir = GoldenModels.model("llama-pico-base");
        try (CausalLanguageModel m = ModelLoader.load(dir, LoadOptions.defaults().withListener(events::add));
             SafetensorsModel file = SafetensorsModel.open(dir)) {
            long bytes = file.tensorNames().stream().mapToLong(n -> file.info(n).orElseThrow().byteSize()).sum();
            assertThat(events).hasSize(file.tensorNames().size());
            assertThat(events.getLast().bytesDone()).isEqualTo(bytes);
            assertThat(events.getLast().bytesTotal()).isEqualTo(bytes);
            assertThat(events.getLast().tensorsDone()).isEqualTo(events.getLast().tensorsTotal());
            assertThat(m.spec().numLayers()).isEqualTo(4);
        }
    }
}
