package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.evomerge.merge.method.Fx.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * ties / task_arithmetic with hand-derived masks and votes, as mergekit computes them: pruning keeps the
 * int(density * numel) largest |delta| of the whole tensor; the sign vote uses the weighted deltas (a zero sum votes
 * +1, a zero delta never agrees); a zero divisor becomes 1.
 */
class TiesTest {

    // base 1 everywhere; task vectors (hand-chosen, magnitudes distinct except δ2[0] = δ2[1] = 2):
    // δ1 = [ 3, -1,  2, 0, -4,  1  ]
    // δ2 = [-2,  2,  1, 5, -1, -3  ]
    // δ3 = [ 1, -3, -2, 1,  2, 0.5 ]
    private static final Tensor BASE = f32(1, 1, 1, 1, 1, 1);
    private static final Tensor X1 = f32(4, 0, 3, 1, -3, 2);
    private static final Tensor X2 = f32(-1, 3, 2, 6, 0, -2);
    private static final Tensor X3 = f32(2, -2, -1, 2, 3, 1.5);

    private static MergeInputs ties(Map<String, Double> globals, double w1, double w2, double w3) {
        return merge("base", globals, in("base", BASE), in("m1", X1, "weight", w1, "density", 0.5),
                in("m2", X2, "weight", w2, "density", 0.5), in("m3", X3, "weight", w3, "density", 0.5));
    }

    @Test
    void magnitudePruningSignVoteAndNormalisation() {
        // k = int(0.5·6) = 3 per model. Kept by hand:
        // δ1 -> [3, 0, 2, 0, -4, 0]; δ2 -> [-2, 0, 0, 5, 0, -3] (tie |2| at 0 and 1: lower index kept);
        // δ3 -> [0, -3, -2, 0, 2, 0].
        // Votes (sum of weighted deltas): [1, -3, 0 (=> +), 5, -2, -3]; agreeing entries averaged:
        // [3, -3, 2, 5, -4, -3]; + base 1.
        Tensor r = run("ties", ties(p(), 1, 1, 1));
        assertThat(values(r)).containsExactly(4f, -2f, 3f, 6f, -3f, -2f);
    }

    @Test
    void weightedVotesAndDivisorWithAndWithoutNormalize() {
        // w = [1, 0.5, 2]: weighted kept deltas per element
        // j0 [3, -1, 0] sum 2 -> +: 3/1;  j1 [0, 0, -6] -> -: -6/2;  j2 [2, 0, -4] sum -2 -> -: -4/2;
        // j3 [0, 2.5, 0] -> 2.5/0.5;  j4 [-4, 0, 4] sum 0 -> +: 4/2;  j5 [0, -1.5, 0] -> -1.5/0.5.
        assertThat(values(run("ties", ties(p(), 1, 0.5, 2)))).containsExactly(4f, -2f, -1f, 6f, 3f, -2f);
        assertThat(values(run("ties", ties(p("normalize", false), 1, 0.5, 2))))
                .containsExactly(4f, -5f, -3f, 3.5f, 5f, -0.5f);
    }

    @Test
    void lambdaScalesTheMixedDelta() {
        assertThat(values(run("ties", ties(p("lambda", 0.5), 1, 1, 1))))
                .containsExactly(2.5f, -0.5f, 2f, 3.5f, -1f, -0.5f);
    }

    @Test
    void negativeWeightsFlipVotes() {
        // w = [1, -1], δ1 = 2, δ2 = 3: weighted [2, -3], sum -1 -> majority -1, only model 2 agrees;
        // divisor = -1, so normalised -3/-1 = 3; unnormalised -3.
        MergeInputs in = merge("base", p(), in("base", f32(10)), in("m1", f32(12), "weight", 1),
                in("m2", f32(13), "weight", -1));
        assertThat(values(run("ties", in))).containsExactly(13f);
        MergeInputs raw = merge("base", p("normalize", false), in("base", f32(10)), in("m1", f32(12), "weight", 1),
                in("m2", f32(13), "weight", -1));
        assertThat(values(run("ties", raw))).containsExactly(7f);
    }

    @Test
    void zeroDivisorIsReplacedByOne() {
        // w = [1, -1], δ = [2, -3]: weighted [2, 3] both agree with +; divisor 1 + (-1) = 0 -> 1; mixed 5.
        MergeInputs in = merge("base", p(), in("base", f32(10)), in("m1", f32(12), "weight", 1),
                in("m2", f32(7), "weight", -1));
        assertThat(values(run("ties", in))).containsExactly(15f);
    }

    @Test
    void zeroDeltasNeverCountInTheDivisor() {
        // δ = [0, 4], w = [1, 1]: sign(0) = 0 never matches, so divisor is 1 and the result is 4, not 2.
        MergeInputs in = merge("base", p(), in("base", f32(1)), in("m1", f32(1), "weight", 1),
                in("m2", f32(5), "weight", 1));
        assertThat(values(run("ties", in))).containsExactly(5f);
    }

    @Test
    void densityOneIsANoOpAndTinyDensityPrunesEverything() {
        // density 1: plain TIES over full task vectors: j0 [3,-2,1] -> + : (3+1)/2 = 2.
        MergeInputs full = merge("base", p(), in("base", BASE), in("m1", X1, "weight", 1),
                in("m2", X2, "weight", 1), in("m3", X3, "weight", 1));
        assertThat(values(run("ties", full))[0]).isEqualTo(3f);
        // density 0.1 on 6 elements: k = int(0.6) = 0. mergekit asserts; evomerge prunes everything (= base).
        MergeInputs none = merge("base", p(), in("base", BASE), in("m1", X1, "weight", 1, "density", 0.1));
        assertThat(values(run("ties", none))).containsExactly(1f, 1f, 1f, 1f, 1f, 1f);
    }

    @Test
    void taskArithmeticWithLambdaAndNormalize() {
        // δ1 = [1, 2], δ2 = [-1, 4]; w = [0.5, 0.25]: mixed [0.25, 2]; λ = 2 -> [0.5, 4]; + base [1, 2].
        Tensor b = f32(1, 2);
        assertThat(values(run("task_arithmetic", merge("b", p("lambda", 2), in("b", b),
                in("x", f32(2, 4), "weight", 0.5), in("y", f32(0, 6), "weight", 0.25)))))
                .containsExactly(1.5f, 6f);
        // normalize with w = [1, 3]: ([1,2] + 3·[-1,4]) / 4 = [-0.5, 3.5]; λ 2 -> [-1, 7].
        assertThat(values(run("task_arithmetic", merge("b", p("lambda", 2, "normalize", true), in("b", b),
                in("x", f32(2, 4), "weight", 1), in("y", f32(0, 6), "weight", 3)))))
                .containsExactly(0f, 9f);
        // normalize with Σw = 0: |div| < 1e-8 -> 1, so the result is δ1 - δ2 = [2, -2].
        assertThat(values(run("task_arithmetic", merge("b", p("normalize", true), in("b", b),
                in("x", f32(2, 4), "weight", 1), in("y", f32(0, 6), "weight", -1)))))
                .containsExactly(3f, 0f);
    }

    @Test
    void densityIsIgnoredByTaskArithmetic() {
        assertThat(values(run("task_arithmetic", merge("b", p(), in("b", f32(0, 0)),
                in("x", f32(1, 8), "weight", 1, "density", 0.5)))))
                .containsExactly(1f, 8f);
    }

    @Test
    void baseNeedsNoWeightButOthersDo() {
        assertThatThrownBy(() -> run("ties", merge("base", p(), in("base", BASE), in("m1", X1, "density", 0.5))))
                .hasMessage("Method ties needs parameter 'weight' for model m1, tensor model.layers.0.mlp.w.");
    }

    @Test
    void missingBaseIsAUsageError() {
        assertThatThrownBy(() -> run("ties", merge(null, p(), in("m1", X1, "weight", 1))))
                .hasMessageContaining("ties").hasMessageContaining("base_model");
    }

    @Test
    void noTaskVectorsReturnsTheBase() {
        assertThat(values(run("ties", merge("base", p(), in("base", BASE))))).containsExactly(1f, 1f, 1f, 1f, 1f, 1f);
    }

    @Test
    void bf16TiesRoundsWeightedDeltasAndTheDivision() {
        // δ1 = 1, δ2 = 1 (base 0), w = [0.3, 0.3]: W = bf16(0.3) = 0.30078125 each;
        // wd = 0.30078125 each (exact); mixed = 0.6015625 (exact); div = 0.6015625 -> 1.0 exactly.
        // With x2 = 3: wd2 = 0.90234375 -> bf16 0.90234375 (exact: 231/256); mixed 1.203125 -> bf16 1.203125;
        // div 0.6015625; 1.203125/0.6015625 = 2.0 exactly.
        MergeInputs in = merge("b", p(), in("b", bf16(0, 0)), in("x", bf16(1, 1), "weight", 0.3),
                in("y", bf16(1, 3), "weight", 0.3));
        assertThat(values(run("ties", in))).containsExactly(1f, 2f);
        // Weight 0.1: W = bf16(0.1) = 0.10009765625. δ = 3: 0.30029296875 -> bf16 0.30078125;
        // δ = 5: 0.50048828125 -> bf16 0.5 (below the midpoint 0.501953125).
        MergeInputs in2 = merge("b", p("normalize", false), in("b", bf16(0, 0)), in("x", bf16(3, 5), "weight", 0.1));
        assertThat(values(run("ties", in2))).containsExactly(0.30078125f, 0.5f);
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = DType.class, names = {"F32", "BF16"})
    void matchesAStraightforwardReferenceOnRandomTies(DType dtype) {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(42);
        for (int rep = 0; rep < 30; rep++) {
            // sizes below and above the vector width and the 32Ki parallel piece
            int n = rep == 29 ? 70_000 + rnd.nextInt(1000) : 1 + rnd.nextInt(200);
            int models = 1 + rnd.nextInt(4);
            double[] base = new double[n];
            double[][] xs = new double[models][n];
            double[] w = new double[models];
            double[] dens = new double[models];
            for (int j = 0; j < n; j++) {
                base[j] = rnd.nextInt(-8, 9) / 4.0 + (dtype == DType.F32 ? rnd.nextInt(100) * 1e-3 : 0);
            }
            for (int m = 0; m < models; m++) {
                w[m] = rnd.nextInt(-4, 9) / 4.0 + rnd.nextInt(10) * 0.01;
                dens[m] = rnd.nextDouble(0.05, 1.2);
                for (int j = 0; j < n; j++) {
                    // coarse values: many equal magnitudes, many zero deltas
                    xs[m][j] = base[j] + rnd.nextInt(-3, 4) / 2.0;
                }
            }
            MergeInputs.InputTensor[] ins = new MergeInputs.InputTensor[models + 1];
            ins[0] = in("base", t(dtype, shape(n), base));
            for (int m = 0; m < models; m++) {
                ins[m + 1] = in("m" + m, t(dtype, shape(n), xs[m]), "weight", w[m], "density", dens[m]);
            }
            float[] got = values(run("ties", merge("base", p(), ins)));
            float[] want = dtype == DType.BF16
                    ? ReferenceTies.ties(base, xs, w, dens, ReferenceTies::bf16)
                    : ReferenceTies.ties(base, xs, w, dens);
            assertThat(got).as("rep %d", rep).containsExactly(want);
        }
    }

    @Test
    void int8MaskChangesNothingButMemory() {
        assertThat(values(run("ties", ties(p("int8_mask", true), 1, 0.5, 2))))
                .containsExactly(values(run("ties", ties(p(), 1, 0.5, 2))));
    }

    @Test
    void largerEmbeddingsAreCroppedToTheBaseAndOtherMismatchesAreErrors() {
        // base [2, 2]; the model's embedding has an extra row that is ignored.
        Tensor base = t(DType.F32, shape(2, 2), 1, 1, 1, 1);
        Tensor big = t(DType.F32, shape(3, 2), 2, 3, 4, 5, 99, 99);
        MergeInputs embed = new MergeInputs("lm_head.weight", true,
                java.util.List.of(in("b", base), in("x", big, "weight", 1)), "b", p(), DType.F32, null, null);
        Tensor r = MergeMethods.byName("task_arithmetic").merge(embed);
        assertThat(r.shape().dims()).containsExactly(2, 2);
        assertThat(values(r)).containsExactly(2f, 3f, 4f, 5f);
        // smaller than the base: error naming the model and both shapes
        MergeInputs smaller = new MergeInputs("lm_head.weight", true,
                java.util.List.of(in("b", big), in("x", base, "weight", 1)), "b", p(), DType.F32, null, null);
        assertThatThrownBy(() -> MergeMethods.byName("ties").merge(smaller))
                .hasMessageContaining("model x").hasMessageContaining("[2, 2]").hasMessageContaining("[3, 2]");
        // not an embedding: mergekit would silently skip the model; evomerge refuses
        MergeInputs notEmbed = merge("b", p(), in("b", base), in("x", big, "weight", 1));
        assertThatThrownBy(() -> run("task_arithmetic", notEmbed))
                .isInstanceOf(dev.evomerge.core.EvomergeException.class).hasMessageContaining("shape");
    }

    @Test
    void inputsMustBeInTheWorkDtypeAndTheBaseMustBeAnInput() {
        assertThatThrownBy(() -> new MergeInputs("w", false, java.util.List.of(in("a", f32(1))), null, p(),
                DType.BF16, null, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> merge("missing", p(), in("a", f32(1), "weight", 1)))
                .isInstanceOf(dev.evomerge.core.EvomergeException.class).hasMessageContaining("missing");
    }
}
