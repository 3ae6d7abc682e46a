package dev.evomerge.engine.infer;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.synth.ModelSynthesizer;
import dev.evomerge.core.synth.SynthArch;
import dev.evomerge.core.synth.SynthModelSpec;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.engine.CausalLanguageModel;
import dev.evomerge.engine.Generation;
import dev.evomerge.engine.GenerationRequest;
import dev.evomerge.engine.LayerPointer;
import dev.evomerge.engine.LoglikelihoodRequest;
import dev.evomerge.engine.LoglikelihoodResult;
import dev.evomerge.engine.ReferenceForward;
import dev.evomerge.engine.SequenceLogprobs;
import dev.evomerge.engine.TestModels;
import dev.evomerge.engine.load.ModelLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * A data-flow path run in memory (layers re-pointed, the stream scaled at marked positions) against the plain float64
 * reference run through the same path: a repeated layer, a skipped one, one borrowed from a second model and scaled
 * inputs, in every front end (batched scoring, cached shared contexts, KV-cached generation).
 */
class DataFlowPathTest {

    private static final double TOLERANCE = 1e-4;

    @TempDir
    Path tmp;

    private record Fixture(CausalLanguageModel a, CausalLanguageModel b, List<LayerPointer> path,
                           List<ReferenceForward.Step> refPath, ReferenceForward refA) {
    }

    /** A's layers 0, 1, 1 (input x1.7), B's layer 2 (input x0.6), A's 3 (input x1.3): repeat, skip, borrow, scale. */
    private Fixture fixture(CausalLanguageModel a, CausalLanguageModel b, Path aDir, Path bDir) throws IOException {
        ReferenceForward ra = new ReferenceForward(aDir);
        ReferenceForward rb = new ReferenceForward(bDir);
        List<LayerPointer> path = List.of(new LayerPointer(a, 0), new LayerPointer(a, 1),
                new LayerPointer(a, 1, 1.7), new LayerPointer(b, 2, 0.6), new LayerPointer(a, 3, 1.3));
        List<ReferenceForward.Step> ref = List.of(new ReferenceForward.Step(ra, 0, 1),
                new ReferenceForward.Step(ra, 1, 1), new ReferenceForward.Step(ra, 1, 1.7),
                new ReferenceForward.Step(rb, 2, 0.6), new ReferenceForward.Step(ra, 3, 1.3));
        return new Fixture(a, b, path, ref, ra);
    }

    private Path synth(SynthArch arch, long seed, String name) {
        return ModelSynthesizer.write(new SynthModelSpec(arch, 300, 64, 4, 4, 2, 128, DType.F32, seed,
                arch == SynthArch.QWEN2, false), tmp.resolve(name)).directory();
    }

    @ParameterizedTest
    @EnumSource(value = SynthArch.class, names = {"LLAMA", "QWEN2"})
    void pathMatchesTheReferenceInEveryFrontEnd(SynthArch arch) throws IOException {
        Path aDir = synth(arch, 11, "a");
        Path bDir = synth(arch, 12, "b");
        SplittableRandom rnd = new SplittableRandom(3);
        List<int[]> sequences = List.of(TestModels.randomIds(rnd, 13, 300), TestModels.randomIds(rnd, 7, 300),
                TestModels.randomIds(rnd, 21, 300));
        try (CausalLanguageModel a = ModelLoader.load(aDir); CausalLanguageModel b = ModelLoader.load(bDir)) {
            Fixture f = fixture(a, b, aDir, bDir);
            List<LayerPointer> own = a.layers();
            double[] before = a.tokenLogprobs(List.of(sequences.getFirst()), 0).getFirst().tokenLogprobs();

            a.setLayers(f.path());
            assertThat(a.spec().numLayers()).isEqualTo(5);
            assertThat(a.layers()).isEqualTo(f.path());

            // batched scoring: three sequences of different lengths in one call
            List<SequenceLogprobs> scored = a.tokenLogprobs(sequences, 0);
            double gapToOwn = 0;
            for (int s = 0; s < sequences.size(); s++) {
                int[] ids = sequences.get(s);
                double[][] want = f.refA().logprobs(ids, f.refPath());
                double[][] unscaled = f.refA().logprobs(ids, f.refPath().stream()
                        .map(st -> new ReferenceForward.Step(st.source(), st.layer(), 1)).toList());
                for (int j = 1; j < ids.length; j++) {
                    assertThat(scored.get(s).tokenLogprobs()[j]).as("sequence %d token %d", s, j)
                            .isCloseTo(want[j - 1][ids[j]], within(TOLERANCE));
                    gapToOwn = Math.max(gapToOwn, Math.abs(want[j - 1][ids[j]] - unscaled[j - 1][ids[j]]));
                }
            }
            // the scales matter: without them the reference is measurably different
            assertThat(gapToOwn).isGreaterThan(1e-2);

            // shared contexts are computed once and continued from forks of their KV cache
            int[] ctx = Arrays.copyOf(sequences.get(2), 15);
            int[][] conts = {{5, 9, 77}, {200}, {31, 31}};
            List<LoglikelihoodRequest> requests = new ArrayList<>();
            for (int[] c : conts) {
                requests.add(new LoglikelihoodRequest(ctx, c));
            }
            List<LoglikelihoodResult> ll = a.logLikelihood(requests);
            for (int r = 0; r < conts.length; r++) {
                int[] whole = concat(ctx, conts[r]);
                double[][] want = f.refA().logprobs(whole, f.refPath());
                double sum = 0;
                for (int j = ctx.length; j < whole.length; j++) {
                    sum += want[j - 1][whole[j]];
                }
                assertThat(ll.get(r).logprob()).as("continuation %d", r).isCloseTo(sum, within(TOLERANCE));
            }

            // greedy generation with a KV cache: each token is the reference's argmax after the tokens before it
            int[] prompt = sequences.get(1);
            Generation g = a.generate(GenerationRequest.greedy(prompt, 6, Set.of()));
            int[] sofar = prompt;
            for (int token : g.tokenIds()) {
                double[] last = f.refA().logprobs(sofar, f.refPath())[sofar.length - 1];
                assertThat(last[token]).as("generated %d after %s", token, Arrays.toString(sofar))
                        .isCloseTo(Arrays.stream(last).max().orElseThrow(), within(TOLERANCE));
                sofar = concat(sofar, new int[]{token});
            }
            assertThat(g.tokenIds()).hasSize(6);

            // restoring the model's own layers restores its own outputs, unscaled
            a.setLayers(own);
            assertThat(a.tokenLogprobs(List.of(sequences.getFirst()), 0).getFirst().tokenLogprobs())
                    .containsExactly(before, within(1e-9));
        }
    }

    @Test
    void scalesThatRmsNormCannotUndoAreRefused() {
        Path aDir = synth(SynthArch.LLAMA, 11, "a");
        try (CausalLanguageModel a = ModelLoader.load(aDir)) {
            for (double bad : new double[]{0, -1, Double.NaN, Double.POSITIVE_INFINITY, 1e300}) {
                assertThatThrownBy(() -> a.setLayers(List.of(new LayerPointer(a, 0), new LayerPointer(a, 1, bad))))
                        .isInstanceOf(EvomergeException.class)
                        .hasMessageContaining("Layer 1 of the new sequence scales its input by")
                        .hasMessageContaining("greater than 0");
            }
            // a refused sequence leaves the model as it was
            assertThat(a.layers()).hasSize(4);
        }
    }

    private static int[] concat(int[] x, int[] y) {
        int[] out = Arrays.copyOf(x, x.length + y.length);
        System.arraycopy(y, 0, out, x.length, y.length);
        return out;
    }
}
