package dev.evomerge.evolve.local;

import dev.evomerge.core.safetensors.SafetensorsModel;
import dev.evomerge.core.synth.FineTuneSynthesizer;
import dev.evomerge.core.synth.ModelSynthesizer;
import dev.evomerge.core.synth.SynthArch;
import dev.evomerge.core.synth.SynthModelSpec;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Tensor;
import dev.evomerge.core.tensor.TensorSink;
import dev.evomerge.core.tensor.TensorSource;
import dev.evomerge.engine.CausalLanguageModel;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.SequenceLogprobs;
import dev.evomerge.engine.WeightStorage;
import dev.evomerge.engine.load.ModelLoader;
import dev.evomerge.merge.MergeOptions;
import dev.evomerge.merge.MergeReporter;
import dev.evomerge.merge.MergeSession;
import dev.evomerge.merge.config.MergeConfig;
import dev.evomerge.merge.config.MergeConfigReader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The in-memory slot's path at small size: bf16 merges written into a resident engine model that keeps bf16 weights
 * (as {@link InMemoryWorker} loads it for a bf16 checkpoint) hold exactly the tensors of the same merge written to
 * disk, and score exactly as that merge loaded from disk with float32 weights, candidate after candidate.
 */
class ResidentMergeTest {

    @TempDir
    static Path dir;
    static Path base;
    static Path a;
    static Path c;

    @BeforeAll
    static void models() {
        // hidden 96 and vocab 300: the weight matrices' rows do not fill whole packed panels
        SynthModelSpec spec = new SynthModelSpec(SynthArch.LLAMA, 300, 96, 2, 4, 2, 200, DType.BF16, 5, false,
                false);
        base = dir.resolve("base");
        ModelSynthesizer.write(spec, base);
        a = dir.resolve("a");
        FineTuneSynthesizer.write(base, a, 6, 0.3);
        c = dir.resolve("c");
        FineTuneSynthesizer.write(base, c, 7, 0.3);
    }

    private static MergeConfig candidate(String method, double wa, double wc, double density) {
        return MergeConfigReader.parse("""
                merge_method: %s
                %s
                models:
                  - {model: %s, parameters: {weight: %s, density: %s}}
                  - {model: %s, parameters: {weight: %s, density: %s}}
                dtype: bfloat16
                """.formatted(method, method.equals("linear") ? "" : "base_model: " + base, a, wa, density, c, wc,
                density), "cfg.yml", w -> { });
    }

    @ParameterizedTest
    @ValueSource(strings = {"linear", "task_arithmetic", "ties", "dare_ties"})
    void residentBf16MergesMatchMergesOnDiskBitForBit(String method) {
        assertThat(ResidentStorage.forCheckpoint(base)).isEqualTo(WeightStorage.BFLOAT16);
        LoadOptions bf16 = LoadOptions.defaults().withThreads(2).withWeightStorage(WeightStorage.BFLOAT16);
        double[][] candidates = {{0.7, 0.3, 0.5}, {-0.2, 1.1, 0.8}, {0.7, 0.3, 0.5}};
        try (CausalLanguageModel resident = ModelLoader.load(base, bf16);
             MergeSession session = MergeSession.open(candidate(method, 0.5, 0.5, 0.5),
                     InMemoryWorker.mergeOptions(settingsWithSeed()), MergeReporter.silent())) {
            assertThat(ResidentStorage.holdsExactly(WeightStorage.BFLOAT16, session.plan().outputs())).isTrue();
            for (int k = 0; k < candidates.length; k++) {
                double[] p = candidates[k];
                MergeConfig cfg = candidate(method, p[0], p[1], p[2]);
                TensorSink sink = resident.weightSink();
                session.mergeInto(cfg, sink);
                sink.commit();
                Path onDisk = dir.resolve(method + "-" + k);
                try (MergeSession once = MergeSession.open(cfg, MergeOptions.defaults().withThreads(1)
                        .withRandomSeed(1L), MergeReporter.silent())) {
                    once.writeModel(onDisk);
                }
                assertSameWeights(resident.weightSource(), onDisk);
                // float32 weights, the same threads
                try (CausalLanguageModel loaded = ModelLoader.load(onDisk,
                        bf16.withWeightStorage(WeightStorage.FLOAT32))) {
                    assertSameLogprobs(resident, loaded);
                }
            }
        }
    }

    /** Run settings whose merge options are InMemoryWorker's: 2 threads, seed 1, a task-vector cache. */
    private static EvaluationSettings settingsWithSeed() {
        return new EvaluationSettings(List.of(), List.of(), null, null, null, 1, false, true,
                EvaluationBackend.EMBEDDED, null, 2, 1L, dir.toString(), null, base.toString(), List.of(), false,
                null, false);
    }

    private static void assertSameWeights(TensorSource resident, Path onDisk) {
        try (SafetensorsModel disk = SafetensorsModel.open(onDisk)) {
            for (String name : resident.tensorNames()) {
                Tensor got = resident.tensor(name);
                Tensor want = disk.tensor(name);
                assertThat(got.numel()).isEqualTo(want.numel());
                for (long i = 0; i < want.numel(); i++) {
                    if (Float.floatToRawIntBits(got.getFloat(i)) != Float.floatToRawIntBits(want.getFloat(i))) {
                        assertThat(got.getFloat(i)).as(name + "[" + i + "]").isEqualTo(want.getFloat(i));
                    }
                }
            }
        }
    }

    private static void assertSameLogprobs(CausalLanguageModel resident, CausalLanguageModel loaded) {
        List<int[]> sequences = List.of(new int[] {1, 17, 250, 3, 99, 42, 7, 7, 280, 11},
                new int[] {5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23});
        List<SequenceLogprobs> got = resident.tokenLogprobs(sequences, 0);
        List<SequenceLogprobs> want = loaded.tokenLogprobs(sequences, 0);
        // the weights are bit-identical (assertSameWeights); the forward passes still sum in another order (the bf16
        // and float32 GEMM kernels pack and accumulate differently, and SIMD sums change with JIT compilation), which
        // moves a float32 logprob by up to about 1e-7 of its size, so 1e-6 relative here
        for (int s = 0; s < sequences.size(); s++) {
            double[] g = got.get(s).tokenLogprobs();
            double[] w = want.get(s).tokenLogprobs();
            assertThat(g).hasSameSizeAs(w);
            for (int i = 0; i < w.length; i++) {
                if (Double.isNaN(w[i])) {
                    assertThat(g[i]).as("sequence " + s + " token " + i).isNaN();
                } else {
                    assertThat(g[i]).as("sequence " + s + " token " + i).isCloseTo(w[i], within(1e-6 * Math.max(1, Math.abs(w[i]))));
                }
            }
        }
    }
}
