package dev.evomerge.merge.method;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.SplittableRandom;

import static dev.evomerge.merge.method.Fx.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** breadcrumbs, DARE and DELLA as mergekit sparsifies: hand-checked masks, injected random masks, statistics. */
class SparsificationTest {

    // δ = ±1..±10 (base 0), magnitudes distinct.
    private static final double[] TEN = {1, -2, 3, -4, 5, -6, 7, -8, 9, -10};

    private static float[] breadcrumbs(double density, double gamma) {
        return values(run("breadcrumbs", merge("b", p(), in("b", f32(new double[10])),
                in("x", f32(TEN), "weight", 1, "density", density, "gamma", gamma))));
    }

    @ParameterizedTest
    @CsvSource({
            // density, gamma, kept magnitudes (as a bit set over 1..10, by hand)
            // target 5, n_top 1, n_bot 4: drop 1-4 and 10
            "0.5, 0.1,  0000111110",
            // target 9, n_top 1, n_bot 0
            "0.95, 0.1, 1111111110",
            // target 9, n_top 2 -> n_bot = -1 -> n_top 1, n_bot 0
            "0.95, 0.2, 1111111110",
            // target 3, n_top 3 (gamma 0.3), n_bot 4: keep 5, 6, 7
            "0.3, 0.3,  0000111000",
            // n_top = int(0.01·10) = 0: mergekit's [n_bot:-0] zeroes everything; evomerge keeps the top 5
            "0.5, 0.01, 0000011111",
            // density 1: no-op
            "1.0, 0.1,  1111111111",
    })
    void breadcrumbsKeepsTheMiddleBand(double density, double gamma, String keptBits) {
        float[] got = breadcrumbs(density, gamma);
        for (int i = 0; i < 10; i++) {
            // element i has magnitude i+1; bit (magnitude-1) says whether it survives
            float want = keptBits.charAt(i) == '1' ? (float) TEN[i] : 0f;
            assertThat(got[i]).as("magnitude %d", i + 1).isEqualTo(want);
        }
    }

    @Test
    void breadcrumbsTiesVotesAfterPruning() {
        // m1 = TEN, m2 = -TEN pruned identically (0.5, 0.1): band magnitudes 5..9 cancel in the vote sum (0 -> +),
        // so only the positive entries survive: +5 (m1, idx 4), +6 (m2, idx 5), +7, +8 (m2), +9.
        double[] neg = new double[10];
        for (int i = 0; i < 10; i++) {
            neg[i] = -TEN[i];
        }
        float[] got = values(run("breadcrumbs_ties", merge("b", p(), in("b", f32(new double[10])),
                in("x", f32(TEN), "weight", 1, "density", 0.5, "gamma", 0.1),
                in("y", f32(neg), "weight", 1, "density", 0.5, "gamma", 0.1))));
        // breadcrumbs_ties does not normalize by default: the single agreeing entry is taken as is.
        assertThat(got).containsExactly(0f, 0f, 0f, 0f, 5f, 6f, 7f, 8f, 9f, 0f);
    }

    @Test
    void dareUsesTheInjectedMaskAndL1Rescale() {
        // δ1 = [4, -2, 6, 1, -3, 8], mask [1,0,1,0,0,1]: masked [4, -0, 6, 0, -0, 8]; L1 24 -> 18;
        // ratio = float32(24/18); each kept value multiplied by it in float32.
        // δ2 = [-1, 2, -2, 3, 1, -1], mask [0,1,1,1,0,0]: masked [0, 2, -2, 3, 0, 0], L1 10 -> 7.
        FixedMasks masks = new FixedMasks().mask("m1", 1, 0, 1, 0, 0, 1).mask("m2", 0, 1, 1, 1, 0, 0);
        MergeInputs in = merge("b", p(), in("b", f32(0, 0, 0, 0, 0, 0)),
                in("m1", f32(4, -2, 6, 1, -3, 8), "weight", 1, "density", 0.5),
                in("m2", f32(-1, 2, -2, 3, 1, -1), "weight", 1, "density", 0.5)).withMasks(masks);
        float[] got = values(run("dare_ties", in));
        float r1 = 24f / 18f;
        float r2 = 10f / 7f;
        // votes: j0 [4r1, 0] +; j1 [0, 2r2] +; j2 [6r1, -2r2] +; j3 [0, 3r2]; j4 0; j5 [8r1, 0]. No normalize.
        assertThat(got).containsExactly(4f * r1, 2f * r2, 6f * r1, 3f * r2, 0f, 8f * r1);
        assertThat(masks.probabilities).containsExactly(0.5, 0.5);
        assertThat(masks.keys).containsExactly(
                new MaskSource.MaskKey("model.layers.0.mlp.w", "m1", "dare"),
                new MaskSource.MaskKey("model.layers.0.mlp.w", "m2", "dare"));
        // dare_linear: plain weighted sum of the same rescaled deltas.
        MergeInputs lin = merge("b", p(), in("b", f32(0, 0, 0, 0, 0, 0)),
                in("m1", f32(4, -2, 6, 1, -3, 8), "weight", 1, "density", 0.5),
                in("m2", f32(-1, 2, -2, 3, 1, -1), "weight", 1, "density", 0.5)).withMasks(masks);
        assertThat(values(run("dare_linear", lin)))
                .containsExactly(4f * r1, 2f * r2, 6f * r1 - 2f * r2, 3f * r2, 0f, 8f * r1);
    }

    @Test
    void dareWithoutRescaleOnlyMasks() {
        FixedMasks masks = new FixedMasks().mask("m1", 1, 0, 1, 1);
        MergeInputs in = merge("b", p("rescale", false), in("b", f32(1, 1, 1, 1)),
                in("m1", f32(5, 3, -1, 1), "weight", 0.5, "density", 0.25)).withMasks(masks);
        // δ = [4, 2, -2, 0] masked [4, 0, -2, 0] · 0.5 -> [2, 0, -1, 0] + 1
        assertThat(values(run("dare_linear", in))).containsExactly(3f, 1f, 0f, 1f);
    }

    @Test
    void dareBf16DrawsWithTheDensityRoundedToBf16() {
        FixedMasks masks = new FixedMasks().mask("m1", 1, 1);
        run("dare_ties", merge("b", p(), in("b", bf16(0, 0)), in("m1", bf16(1, 2), "weight", 1, "density", 0.3))
                .withMasks(masks));
        assertThat(masks.probabilities).containsExactly(0.30078125);
    }

    @Test
    void seededDareKeepsAboutDensityAndPreservesL1() {
        int n = 200_000;
        float[] delta = new float[n];
        SplittableRandom rnd = new SplittableRandom(7);
        double l1 = 0;
        for (int i = 0; i < n; i++) {
            delta[i] = (float) rnd.nextGaussian();
            l1 += Math.abs(delta[i]);
        }
        MaskSource seeded = MaskSource.seeded(1234);
        float[] out = Sparsifiers.bernoulli(DType.F32, delta, 0.3, true, seeded,
                new MaskSource.MaskKey("t", "m", "dare"));
        int kept = 0;
        double outL1 = 0;
        double factor = l1 / sumAbsKept(delta, out);
        double worst = 0;
        for (int i = 0; i < n; i++) {
            if (out[i] != 0f) {
                kept++;
                // every kept element is scaled by the same factor
                worst = Math.max(worst, Math.abs(out[i] / (double) delta[i] - factor));
            }
            outL1 += Math.abs(out[i]);
        }
        assertThat(worst).isLessThan(1e-6 * factor);
        // binomial sd = sqrt(0.3·0.7/2e5) ≈ 0.001; allow 5 sd
        assertThat(kept / (double) n).isCloseTo(0.3, within(0.005));
        assertThat(outL1).isCloseTo(l1, within(l1 * 1e-5));
        // same seed and key -> same mask; another key -> another mask
        float[] again = Sparsifiers.bernoulli(DType.F32, delta, 0.3, true, MaskSource.seeded(1234),
                new MaskSource.MaskKey("t", "m", "dare"));
        assertThat(again).containsExactly(out);
        float[] other = Sparsifiers.bernoulli(DType.F32, delta, 0.3, true, seeded,
                new MaskSource.MaskKey("t", "m2", "dare"));
        assertThat(other).isNotEqualTo(out);
    }

    private static double sumAbsKept(float[] delta, float[] out) {
        double s = 0;
        for (int i = 0; i < delta.length; i++) {
            if (out[i] != 0f) {
                s += Math.abs(delta[i]);
            }
        }
        return s;
    }

    @Test
    void dellaProbabilitiesRampWithRankPerRow() {
        // rows of [2, 4]: row 0 |x| = [3, 1, 2, 5] -> ranks [3, 1, 2, 4]; row 1 |x| = [0.5, 4, 3, 2] -> [1, 4, 3, 2].
        // p = (d - ε) + 2ε·(r - 1)/(C - 1) with d = 0.5, ε = 0.1.
        float[] delta = {3, -1, 2, 5, -0.5f, 4, -3, 2};
        float[] p = Sparsifiers.dellaProbabilities(DType.F32, delta, Shape.of(2, 4), 0.5, 0.1);
        int[] ranks = {3, 1, 2, 4, 1, 4, 3, 2};
        for (int i = 0; i < 8; i++) {
            assertThat((double) p[i]).as("element %d", i).isCloseTo(0.4 + 0.2 * (ranks[i] - 1) / 3.0, within(1e-6));
        }
        // A 1-D tensor is one row.
        float[] p1 = Sparsifiers.dellaProbabilities(DType.F32, new float[] {1, 2, 3}, Shape.of(3), 0.5, 0.1);
        assertThat(p1[0]).isCloseTo(0.4f, within(1e-6f));
        assertThat(p1[1]).isCloseTo(0.5f, within(1e-6f));
        assertThat(p1[2]).isCloseTo(0.6f, within(1e-6f));
    }

    @Test
    void dellaProbabilitiesUseBf16Ranks() {
        // 300 columns: rank 257 is not a bf16 value (rounds to 256), so ranks 256 and 257 share a probability.
        float[] delta = new float[300];
        for (int i = 0; i < 300; i++) {
            delta[i] = i + 1;
        }
        float[] p = Sparsifiers.dellaProbabilities(DType.BF16, delta, Shape.of(1, 300), 0.5, 0.1);
        assertThat(p[255]).isEqualTo(p[256]);
        assertThat(p[0]).isEqualTo(0.400390625f); // bf16(0.4)
    }

    @Test
    void dellaUsesInjectedMasksThenRescalesAndVotes() {
        FixedMasks masks = new FixedMasks().mask("m1", 1, 0, 1, 1);
        MergeInputs in = merge("b", p(), in("b", f32(0, 0, 0, 0)),
                in("m1", f32(2, 2, -4, 0), "weight", 1, "density", 0.5, "epsilon", 0.1)).withMasks(masks);
        float[] got = values(run("della", in));
        // masked [2, 0, -4, 0], L1 8 -> 6, ratio 4/3 in float32; della normalizes by the weight (1).
        float r = 8f / 6f;
        assertThat(got).containsExactly(2f * r, 0f, -4f * r, 0f);
        assertThat(masks.perElement).hasSize(1);
        // ranks by |x| with ties by index: [2 (idx0) r2, 2 (idx1) r3, 4 r4, 0 r1]
        assertThat(masks.perElement.get(0)[3]).isCloseTo(0.4f, within(1e-6f));
        assertThat(masks.perElement.get(0)[2]).isCloseTo(0.6f, within(1e-6f));
    }

    @Test
    void dellaEpsilonOutOfRangeNamesMethodParameterAndTensor() {
        MergeInputs in = merge("b", p(), in("b", f32(0, 0)),
                in("m1", f32(1, 2), "weight", 1, "density", 0.5, "epsilon", 0.5)).withMasks(new FixedMasks());
        assertThatThrownBy(() -> run("della_linear", in))
                .isInstanceOf(EvomergeException.class)
                .satisfies(e -> assertThat(((EvomergeException) e).kind()).isEqualTo(EvomergeException.Kind.USAGE))
                .hasMessageContaining("della_linear").hasMessageContaining("'epsilon'")
                .hasMessageContaining("model.layers.0.mlp.w").hasMessageContaining("m1");
        // density ≥ 1 skips the check (mergekit returns early).
        MergeInputs dense = merge("b", p(), in("b", f32(0, 0)),
                in("m1", f32(1, 2), "weight", 1, "density", 1, "epsilon", 0.5));
        assertThat(values(run("della_linear", dense))).containsExactly(1f, 2f);
    }

    @Test
    void seededDellaKeepsMoreOfTheLargeMagnitudes() {
        int rows = 100;
        int cols = 1000;
        float[] delta = new float[rows * cols];
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < delta.length; i++) {
            delta[i] = (float) rnd.nextGaussian();
        }
        float[] out = Sparsifiers.della(DType.F32, delta, Shape.of(rows, cols), 0.5, 0.2, false,
                MaskSource.seeded(9), new MaskSource.MaskKey("t", "m", "della"), "della");
        // Split each row into quarters by rank: expected keep rates ≈ 0.35, 0.45, 0.55, 0.65.
        int[] keptByQuarter = new int[4];
        for (int r = 0; r < rows; r++) {
            Integer[] idx = new Integer[cols];
            for (int j = 0; j < cols; j++) {
                idx[j] = r * cols + j;
            }
            java.util.Arrays.sort(idx, (a, b) -> Float.compare(Math.abs(delta[a]), Math.abs(delta[b])));
            for (int k = 0; k < cols; k++) {
                if (out[idx[k]] != 0f) {
                    keptByQuarter[k * 4 / cols]++;
                }
            }
        }
        double per = rows * cols / 4.0;
        // sd ≈ sqrt(0.25/25000) ≈ 0.003; allow ~5 sd
        assertThat(keptByQuarter[0] / per).isCloseTo(0.35, within(0.016));
        assertThat(keptByQuarter[1] / per).isCloseTo(0.45, within(0.016));
        assertThat(keptByQuarter[2] / per).isCloseTo(0.55, within(0.016));
        assertThat(keptByQuarter[3] / per).isCloseTo(0.65, within(0.016));
    }

    @Test
    void cachedTaskVectorsGiveBitIdenticalResultsAtEveryDensity() {
        int n = 5000;
        SplittableRandom rnd = new SplittableRandom(11);
        for (DType d : List.of(DType.F32, DType.BF16)) {
            double[] b = new double[n];
            double[] x = new double[n];
            double[] y = new double[n];
            for (int i = 0; i < n; i++) {
                b[i] = rnd.nextInt(-64, 64) / 16.0;
                x[i] = b[i] + rnd.nextInt(-32, 32) / 8.0;
                y[i] = b[i] + rnd.nextInt(-32, 32) / 8.0;
            }
            Tensor tb = t(d, shape(n), b);
            Tensor tx = t(d, shape(n), x);
            Tensor ty = t(d, shape(n), y);
            TaskVectorCache cache = new TaskVectorCache();
            for (String method : List.of("ties", "breadcrumbs_ties", "task_arithmetic")) {
                for (double dens : new double[] {0.05, 0.3, 0.77, 1.0}) {
                    MergeInputs in = merge("b", p("rescale", dens < 0.5), in("b", tb),
                            in("x", tx, "weight", 0.7, "density", dens, "gamma", 0.02),
                            in("y", ty, "weight", 0.4, "density", dens, "gamma", 0.02));
                    float[] plain = values(run(method, in));
                    float[] cached = values(run(method, in.withCache(cache)));
                    assertThat(cached).as("%s %s density %s", d, method, dens).containsExactly(plain);
                }
            }
            assertThat(cache.size()).isEqualTo(2);
            assertThat(cache.bytesHeld()).isEqualTo(2L * 8 * n);
        }
    }
}
