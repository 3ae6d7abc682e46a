package dev.evomerge.engine.infer;

import dev.evomerge.core.testing.GoldenModels;
import dev.evomerge.core.synth.SynthArch;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.engine.CausalLanguageModel;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.LoglikelihoodRequest;
import dev.evomerge.engine.LoglikelihoodResult;
import dev.evomerge.engine.load.ModelLoader;
import dev.evomerge.engine.ReferenceForward;
import dev.evomerge.engine.SequenceLogprobs;
import dev.evomerge.engine.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Each supported architecture feature (sliding window, q/k norm, llama3 and linear rope scaling, q/k/v biases,
 * tied embeddings) against the independent float64 {@link ReferenceForward}, on tiny synthetic models.
 */
class ArchitecturesAgainstReferenceTest {

    private static final double TOLERANCE = 1e-4;

    @TempDir
    Path tmp;

    /** Max |engine - reference| over every token logprob of ids; asserts each is within tolerance. */
    private static double compare(Path dir, int[] ids) throws IOException {
        double[][] ref = new ReferenceForward(dir).logprobs(ids);
        try (CausalLanguageModel m = ModelLoader.load(dir, LoadOptions.defaults().withThreads(2))) {
            SequenceLogprobs got = m.tokenLogprobs(List.of(ids), 2).getFirst();
            double max = 0;
            for (int j = 1; j < ids.length; j++) {
                double want = ref[j - 1][ids[j]];
                assertThat(got.tokenLogprobs()[j]).as("token %d", j).isCloseTo(want, within(TOLERANCE));
                max = Math.max(max, Math.abs(got.tokenLogprobs()[j] - want));
            }
            for (int j = 0; j < ids.length; j++) {
                int best = got.topAfter().get(j).getFirst().token();
                assertThat(got.topAfter().get(j).getFirst().logprob()).isCloseTo(ref[j][best], within(TOLERANCE));
            }
            return max;
        }
    }

    /** Max |a - b| between two references' token logprobs: shows that a fixture's feature changes the output. */
    private static double referenceGap(Path a, Path b, int[] ids) throws IOException {
        double[][] x = new ReferenceForward(a).logprobs(ids);
        double[][] y = new ReferenceForward(b).logprobs(ids);
        double max = 0;
        for (int j = 1; j < ids.length; j++) {
            max = Math.max(max, Math.abs(x[j - 1][ids[j]] - y[j - 1][ids[j]]));
        }
        return max;
    }

    @Test
    void referenceReproducesGoldenFile() throws IOException {
        // The test reference itself is checked against the shared float64 golden values.
        var golden = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(GoldenModels.dir().resolve("qwen2-pico-base.logprobs.json").toFile());
        var r = golden.get("results").get(1);
        int[] ids = new int[r.get("ids").size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = r.get("ids").get(i).asInt();
        }
        double[][] lp = new ReferenceForward(GoldenModels.model("qwen2-pico-base")).logprobs(ids);
        for (int j = 1; j < ids.length; j++) {
            assertThat(lp[j - 1][ids[j]]).isCloseTo(r.get("token_logprobs").get(j).asDouble(), within(1e-9));
        }
    }

    @Test
    void mistralSlidingWindowLongerSequence() throws IOException {
        Path base = TestModels.synth(tmp.resolve("mistral"), SynthArch.MISTRAL, DType.BF16, false, false, 3);
        Path windowed = TestModels.withConfig(base, tmp.resolve("mistral-w6"), c -> c.put("sliding_window", 6));
        int[] ids = TestModels.randomIds(new SplittableRandom(5), 24, 300);
        assertThat(referenceGap(base, windowed, ids)).isGreaterThan(1e-3);
        double max = compare(windowed, ids);
        assertThat(max).isLessThan(TOLERANCE);
        // Shared-context scoring with forked caches must respect the window across the fork boundary too.
        try (CausalLanguageModel m = ModelLoader.load(windowed, LoadOptions.defaults().withThreads(2))) {
            double[][] ref = new ReferenceForward(windowed).logprobs(ids);
            int[] ctx = Arrays.copyOf(ids, 10);
            int[] cont = Arrays.copyOfRange(ids, 10, 24);
            LoglikelihoodResult r = m.logLikelihood(List.of(new LoglikelihoodRequest(ctx, cont),
                    new LoglikelihoodRequest(ctx, new int[]{1, 2}))).getFirst();
            double want = 0;
            for (int j = 10; j < 24; j++) {
                want += ref[j - 1][ids[j]];
            }
            assertThat(r.logprob()).isCloseTo(want, within(TOLERANCE));
        }
    }

    @Test
    void qwen3PerHeadQkNorm() throws IOException {
        Path dir = TestModels.synth(tmp.resolve("qwen3"), SynthArch.QWEN3, DType.BF16, false, false, 4);
        int[] ids = TestModels.randomIds(new SplittableRandom(6), 20, 300);
        assertThat(compare(dir, ids)).isLessThan(TOLERANCE);
    }

    @Test
    void llama3RopeScaling() throws IOException {
        Path dir = TestModels.synth(tmp.resolve("llama3"), SynthArch.LLAMA, DType.F32, false, true, 7);
        Path unscaled = TestModels.withConfig(dir, tmp.resolve("llama3-plain"), c -> c.putNull("rope_scaling"));
        int[] ids = TestModels.randomIds(new SplittableRandom(8), 40, 300);
        assertThat(referenceGap(dir, unscaled, ids)).isGreaterThan(1e-3);
        assertThat(compare(dir, ids)).isLessThan(TOLERANCE);
    }

    @Test
    void linearRopeScaling() throws IOException {
        Path dir = TestModels.synth(tmp.resolve("llama"), SynthArch.LLAMA, DType.F16, false, false, 9);
        Path linear = TestModels.withConfig(dir, tmp.resolve("llama-linear"), c -> c.putObject("rope_scaling")
                .put("type", "linear").put("factor", 4.0));
        int[] ids = TestModels.randomIds(new SplittableRandom(10), 30, 300);
        assertThat(referenceGap(dir, linear, ids)).isGreaterThan(1e-3);
        assertThat(compare(linear, ids)).isLessThan(TOLERANCE);
    }

    @Test
    void qwen2TiedWithBiases() throws IOException {
        Path dir = TestModels.synth(tmp.resolve("qwen2"), SynthArch.QWEN2, DType.F32, true, false, 11);
        int[] ids = TestModels.randomIds(new SplittableRandom(12), 25, 300);
        assertThat(compare(dir, ids)).isLessThan(TOLERANCE);
    }
}
