package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The magnitude counts that a session keeps for streamed ties ({@link MagnitudeCounts}, {@link MagnitudeCountCache}):
 * a merge that finds them in the cache gives the tensor a fresh merge gives, bit for bit, for candidates with other
 * densities and weights, on tensors of many blocks whose cut-offs fall inside long runs of equal magnitudes; a full
 * cache counts what it could not keep and changes nothing else.
 */
class MagnitudeCountsTest {

    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** 9 pieces: 2 blocks when the budget allows, so a cut-off's run spans both. */
    private static final int N = 8 * Numerics.GRAIN + 123;

    @ParameterizedTest
    @ValueSource(ints = {0, 6})
    void cachedCountsGiveTheFreshMergeBitForBitAcrossCandidates(int distinct) {
        SplittableRandom rnd = new SplittableRandom(7 + distinct);
        Tensor b = random(N, rnd, distinct);
        List<Tensor> xs = List.of(random(N, rnd, distinct), random(N, rnd, distinct));
        TaskVectorCache cache = new TaskVectorCache(0, 64L << 20);
        double[][] densities = {{0.4, 0.65}, {0.83, 0.21}};
        double[][] weights = {{0.6, -0.35}, {1.1, 0.25}};
        for (int c = 0; c < densities.length; c++) {
            float[] w = {Numerics.tensorOf(DType.BF16, weights[c][0]), Numerics.tensorOf(DType.BF16, weights[c][1])};
            GtaMethod.Mixing mix = new GtaMethod.Mixing(w, true, true, 1.0);
            Tensor fresh = expected(b, xs, densities[c], mix);
            assertIdentical(merge(b, xs, densities[c], mix, cache), fresh, "candidate " + c);
            assertIdentical(merge(b, xs, densities[c], mix, null), fresh, "uncached candidate " + c);
            // counted once, by the first candidate; every later one finds both task vectors' counts
            assertThat(cache.magnitudes().size()).isEqualTo(2);
            assertThat(cache.magnitudes().hits()).isEqualTo(2L * c);
        }
        assertThat(cache.magnitudes().refused()).isZero();
        assertThat(cache.magnitudes().bytesHeld()).isPositive().isLessThanOrEqualTo(2 * MagnitudeCountCache.ENTRY_BYTES);
        assertThat(cache.size()).isZero(); // no float task vector kept by a 0-byte cache
    }

    @Test
    void threeModelsMergeBitForBitToo() {
        // more than two models take the one-pass kernel's general loop
        SplittableRandom rnd = new SplittableRandom(5);
        Tensor b = random(N, rnd, 5);
        List<Tensor> xs = List.of(random(N, rnd, 5), random(N, rnd, 5), random(N, rnd, 0));
        float[] w = {Numerics.tensorOf(DType.BF16, 0.5), Numerics.tensorOf(DType.BF16, -0.7),
                Numerics.tensorOf(DType.BF16, 0.9)};
        GtaMethod.Mixing mix = new GtaMethod.Mixing(w, true, true, 0.75);
        TaskVectorCache cache = new TaskVectorCache(0, 64L << 20);
        for (double[] d : new double[][] {{0.35, 0.5, 0.6}, {0.7, 0.05, 1.0}}) {
            assertIdentical(merge(b, xs, d, mix, cache), expected(b, xs, d, mix), "three models " + d[0]);
        }
        assertThat(cache.magnitudes().hits()).isEqualTo(2); // density 1 needs no counts
    }

    @Test
    void aFullCacheCountsWhatItDroppedAndMergesTheSame() {
        SplittableRandom rnd = new SplittableRandom(3);
        Tensor b = random(N, rnd, 4);
        List<Tensor> xs = List.of(random(N, rnd, 4), random(N, rnd, 4));
        TaskVectorCache tiny = new TaskVectorCache(0, 100);
        float[] w = {Numerics.tensorOf(DType.BF16, 0.5), Numerics.tensorOf(DType.BF16, 0.5)};
        GtaMethod.Mixing mix = new GtaMethod.Mixing(w, true, true, 1.0);
        for (int c = 0; c < 2; c++) {
            double[] d = {0.3 + 0.2 * c, 0.5};
            assertIdentical(merge(b, xs, d, mix, tiny), expected(b, xs, d, mix), "candidate " + c);
        }
        assertThat(tiny.magnitudes().size()).isZero();
        assertThat(tiny.magnitudes().refused()).isEqualTo(4);
        assertThat(tiny.magnitudes().bytesHeld()).isZero();
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 1L << 20})
    void theOccurrenceIndexIsFoundInAnyBlock(long budget) {
        SplittableRandom rnd = new SplittableRandom(11);
        Tensor b = random(N, rnd, 3);
        Tensor x = random(N, rnd, 3);
        MagnitudeCounts counts = MagnitudeCounts.of(x, b, N, budget);
        assertThat(counts.blocks()).isEqualTo(2);
        // with no room for counts per block, an occurrence is found by reading the whole tensor
        assertThat(counts.blockedMagnitudes()).isEqualTo(budget == 1 ? 0 : counts.distinct());
        float[] delta = TaskVectors.delta(DType.BF16, x, b);
        float v = Math.abs(delta[N / 2]);
        int[] at = new int[N];
        int seen = 0;
        for (int i = 0; i < N; i++) {
            if (Math.abs(delta[i]) == v) {
                at[seen++] = i;
            }
        }
        assertThat(seen).isGreaterThan(20_000); // a long run, spread over every block
        for (int r : new int[] {0, 1, seen / 5, seen / 2, seen - 1}) {
            assertThat(counts.indexOfOccurrence(x, b, v, r)).as("occurrence %d", r).isEqualTo(at[r]);
        }
        assertThat(counts.indexOfOccurrence(x, b, v, seen)).isEqualTo(N);
        MagnitudeSelect.Selected s = counts.select(N / 3);
        MagnitudeSelect.Selected direct = MagnitudeSelect.select(absOf(delta), N / 3);
        assertThat(s).isEqualTo(direct);
    }

    private static float[] absOf(float[] d) {
        float[] a = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            a[i] = Math.abs(d[i]);
        }
        return a;
    }

    private static Tensor merge(Tensor b, List<Tensor> xs, double[] density, GtaMethod.Mixing mix,
                                TaskVectorCache cache) {
        List<MergeInputs.InputTensor> inputs = new java.util.ArrayList<>();
        inputs.add(new MergeInputs.InputTensor("base", b, Map.of()));
        for (int i = 0; i < xs.size(); i++) {
            inputs.add(new MergeInputs.InputTensor("m" + i, xs.get(i), Map.of()));
        }
        MergeInputs in = new MergeInputs("model.layers.0.mlp.up_proj.weight", false, inputs, "base", Map.of(),
                DType.BF16, MaskSource.seeded(5), cache);
        return StreamedGta.merge(in, b, xs, density, GtaVariant.Sparsification.MAGNITUDE, false, mix,
                Arena.ofAuto());
    }

    /** The array path: whole task vectors pruned by {@link Sparsifiers#magnitude}, then combined. */
    private static Tensor expected(Tensor b, List<Tensor> xs, double[] density, GtaMethod.Mixing mix) {
        float[][] deltas = new float[xs.size()][];
        for (int i = 0; i < xs.size(); i++) {
            deltas[i] = Sparsifiers.magnitude(DType.BF16, TaskVectors.delta(DType.BF16, xs.get(i), b), null,
                    Double.NaN, density[i], false, true);
        }
        Tensor out = Tensor.allocate(DType.BF16, Shape.of(N));
        GtaMethod.combine(DType.BF16, b, deltas, mix, out);
        return out;
    }

    private static void assertIdentical(Tensor actual, Tensor expected, String what) {
        for (long i = 0; i < N; i++) {
            int a = actual.data().get(I16, 2 * i) & 0xFFFF;
            int e = expected.data().get(I16, 2 * i) & 0xFFFF;
            if (a != e) {
                assertThat(Integer.toHexString(a)).as("%s, element %d", what, i).isEqualTo(Integer.toHexString(e));
            }
        }
    }

    /** bf16 values: continuous (distinct 0) or a few magnitudes with random signs (long runs of equal |δ|). */
    private static Tensor random(int n, SplittableRandom rnd, int distinct) {
        Tensor t = Tensor.allocate(DType.BF16, Shape.of(n));
        for (int i = 0; i < n; i++) {
            float v = distinct > 0 ? (rnd.nextBoolean() ? 1 : -1) * 0.25f * (1 + rnd.nextInt(distinct))
                    : (float) (rnd.nextGaussian() * Math.pow(2, rnd.nextInt(-12, 3)));
            t.setFloat(i, Numerics.bf16(v));
        }
        return t;
    }
}
