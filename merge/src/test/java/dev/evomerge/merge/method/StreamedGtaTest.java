package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The streamed ties / dare path gives bit for bit what the whole-array path gives (task vectors from
 * {@link TaskVectors#delta}, pruned by {@link Sparsifiers#magnitude} or {@link Sparsifiers#bernoulli} in place, combined
 * by {@link GtaMethod#combineTies} or {@link GtaMethod#combineLinear}): on one and on many pieces, with magnitudes
 * that repeat so the cut falls inside runs of equal values, with NaN, infinities and signed zeros, at densities
 * from 0 to 1.
 */
class StreamedGtaTest {

    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @ParameterizedTest
    @CsvSource({
            // method kind, consensus, rescale, density, elements, distinct magnitudes (0 = continuous), specials
            "magnitude, true, false, 0.5, 1000, 0, false",
            "magnitude, true, false, 0.5, 1000, 7, false",
            "magnitude, true, false, 0.3, 98427, 5, true",
            "magnitude, true, false, 0.5, 98427, 0, true",
            "magnitude, true, false, 0.0001, 98427, 0, false",
            "magnitude, true, false, 0.0, 5000, 0, true",
            "magnitude, true, false, 1.0, 5000, 3, true",
            "magnitude, true, false, 0.9, 70001, 2, false",
            "random, true, true, 0.5, 98427, 0, true",
            "random, true, true, 0.1, 1000, 4, false",
            "random, false, true, 0.5, 98427, 6, true",
            "random, true, false, 0.5, 70001, 0, false",
            "random, true, true, 0.0, 3000, 0, false",
            "random, false, true, 1.0, 3000, 0, true"})
    void streamedPruningAndCombiningMatchTheArrayPathBitForBit(String kind, boolean consensus, boolean rescale,
                                                              double density, int n, int distinct, boolean specials) {
        SplittableRandom rnd = new SplittableRandom(n * 31L + distinct + (long) (density * 1000));
        Tensor b = random(n, rnd, distinct, specials);
        List<Tensor> xs = List.of(random(n, rnd, distinct, specials), random(n, rnd, distinct, specials));
        float[] w = {Numerics.tensorOf(DType.BF16, 0.6), Numerics.tensorOf(DType.BF16, -0.35)};
        double[] dens = {density, Math.min(1, density * 1.5)};
        boolean random = kind.equals("random");
        MergeInputs in = new MergeInputs("model.layers.0.mlp.down_proj.weight", false, List.of(
                new MergeInputs.InputTensor("base", b, Map.of()),
                new MergeInputs.InputTensor("a", xs.get(0), Map.of()),
                new MergeInputs.InputTensor("c", xs.get(1), Map.of())), "base", Map.of(), DType.BF16,
                MaskSource.seeded(11), null);
        GtaVariant.Sparsification sparsification = random ? GtaVariant.Sparsification.RANDOM
                : GtaVariant.Sparsification.MAGNITUDE;
        assertThat(StreamedGta.applies(in, sparsification, rescale)).isTrue();

        // the array path
        float[][] deltas = new float[2][];
        for (int i = 0; i < 2; i++) {
            float[] delta = TaskVectors.delta(DType.BF16, xs.get(i), b);
            deltas[i] = random
                    ? Sparsifiers.bernoulli(DType.BF16, delta, dens[i], rescale, in.masks(),
                    new MaskSource.MaskKey(in.tensorName(), i == 0 ? "a" : "c", "dare"), true)
                    : Sparsifiers.magnitude(DType.BF16, delta, null, Double.NaN, dens[i], false, true);
        }
        Tensor expected = Tensor.allocate(DType.BF16, Shape.of(n));
        GtaMethod.Mixing mix = new GtaMethod.Mixing(w, consensus, consensus, consensus ? 1.0 : 0.8);
        GtaMethod.combine(DType.BF16, b, deltas, mix, expected);

        try (Arena arena = Arena.ofShared()) {
            assertBitForBit(StreamedGta.merge(in, b, xs, dens, sparsification, rescale, mix, arena), expected, n);
        }
    }

    /**
     * The one-pass ties kernel ({@link TiesStream}) against the array path with what the test above keeps fixed:
     * normalize off, lambda other than 1, a zero weight and a subnormal one, several parallel tasks (more than
     * 2 x 65536 elements) with the cut-offs' index bounds in different tasks, and lengths around one vector step
     * (32 bf16 elements with 512-bit vectors) so that the scalar tail and the vector loop both decide.
     */
    @ParameterizedTest
    @CsvSource({
            // normalize, lambda, weight 0, weight 1, elements, distinct magnitudes, density
            "true, 1.0, 0.6, -0.35, 300001, 5, 0.4",
            "false, 0.7, 0.6, 0.4, 140001, 3, 0.5",
            "true, 0.5, 0.0, 1e-39, 70001, 0, 0.6",
            "false, 1.0, 1.0, 1.0, 70001, 4, 0.5",
            "true, 1.0, -0.5, -0.25, 33, 2, 0.5",
            "true, 2.0, 0.3, 0.9, 31, 0, 0.5",
            "true, 1.0, 0.3, 0.9, 64, 3, 0.3"})
    void tiesKernelMatchesTheArrayPathWithAnyFlagsAndWeights(boolean normalize, double lambda, double w0, double w1,
                                                             int n, int distinct, double density) {
        SplittableRandom rnd = new SplittableRandom(n * 7L + distinct);
        Tensor b = random(n, rnd, distinct, true);
        List<Tensor> xs = List.of(random(n, rnd, distinct, true), random(n, rnd, distinct, true));
        float[] w = {Numerics.tensorOf(DType.BF16, w0), Numerics.tensorOf(DType.BF16, w1)};
        double[] dens = {density, 1 - density / 2};
        float[][] deltas = new float[2][];
        for (int i = 0; i < 2; i++) {
            deltas[i] = Sparsifiers.magnitude(DType.BF16, TaskVectors.delta(DType.BF16, xs.get(i), b), null,
                    Double.NaN, dens[i], false, true);
        }
        Tensor expected = Tensor.allocate(DType.BF16, Shape.of(n));
        GtaMethod.Mixing mix = new GtaMethod.Mixing(w, true, normalize, lambda);
        GtaMethod.combine(DType.BF16, b, deltas, mix, expected);
        MergeInputs in = new MergeInputs("model.layers.0.mlp.up_proj.weight", false, List.of(
                new MergeInputs.InputTensor("base", b, Map.of()),
                new MergeInputs.InputTensor("a", xs.get(0), Map.of()),
                new MergeInputs.InputTensor("c", xs.get(1), Map.of())), "base", Map.of(), DType.BF16,
                MaskSource.seeded(3), null);
        try (Arena arena = Arena.ofShared()) {
            assertBitForBit(StreamedGta.merge(in, b, xs, dens, GtaVariant.Sparsification.MAGNITUDE, false, mix,
                    arena), expected, n);
        }
    }

    private static void assertBitForBit(Tensor actual, Tensor expected, int n) {
        for (long i = 0; i < n; i++) {
            int a = actual.data().get(I16, 2 * i) & 0xFFFF;
            int e = expected.data().get(I16, 2 * i) & 0xFFFF;
            if (isNaN(a) && isNaN(e)) {
                // which NaN survives when two meet (sign, payload) is the JIT's operand order, not ours
                assertThat(a & 0x40).as("quiet bit of element %d", i).isNotZero();
            } else {
                assertThat(Integer.toHexString(a)).as("element %d of %d", i, n).isEqualTo(Integer.toHexString(e));
            }
        }
    }

    @Test
    void onlyBf16MagnitudePruningWithoutRescaleAndDareAreStreamed() {
        Tensor t = Tensor.allocate(DType.BF16, Shape.of(4));
        MergeInputs bf16 = new MergeInputs("w", false, List.of(new MergeInputs.InputTensor("base", t, Map.of()),
                new MergeInputs.InputTensor("a", t, Map.of())), "base", Map.of(), DType.BF16, MaskSource.seeded(1),
                null);
        Tensor f = Tensor.allocate(DType.F32, Shape.of(4));
        MergeInputs f32 = new MergeInputs("w", false, List.of(new MergeInputs.InputTensor("base", f, Map.of()),
                new MergeInputs.InputTensor("a", f, Map.of())), "base", Map.of(), DType.F32, MaskSource.seeded(1),
                null);
        assertThat(StreamedGta.applies(bf16, GtaVariant.Sparsification.MAGNITUDE, false)).isTrue();
        assertThat(StreamedGta.applies(bf16, GtaVariant.Sparsification.RANDOM, true)).isTrue();
        assertThat(StreamedGta.applies(bf16, GtaVariant.Sparsification.MAGNITUDE, true)).isFalse();
        assertThat(StreamedGta.applies(bf16, GtaVariant.Sparsification.OUTLIERS, false)).isFalse();
        assertThat(StreamedGta.applies(bf16, GtaVariant.Sparsification.DELLA, false)).isFalse();
        assertThat(StreamedGta.applies(bf16, GtaVariant.Sparsification.NONE, false)).isFalse();
        assertThat(StreamedGta.applies(f32, GtaVariant.Sparsification.RANDOM, false)).isFalse();
    }

    private static boolean isNaN(int bf16) {
        return (bf16 & 0x7F80) == 0x7F80 && (bf16 & 0x7F) != 0;
    }

    /**
     * bf16 values: continuous (distinct 0) or drawn from a few magnitudes with random signs, so that many task-vector
     * entries have equal magnitudes; with specials, also NaN, ±inf and ±0.
     */
    private static Tensor random(int n, SplittableRandom rnd, int distinct, boolean specials) {
        Tensor t = Tensor.allocate(DType.BF16, Shape.of(n));
        for (int i = 0; i < n; i++) {
            float v;
            int kind = specials ? rnd.nextInt(200) : 100;
            if (kind == 0) {
                v = Float.NaN;
            } else if (kind == 1) {
                v = rnd.nextBoolean() ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
            } else if (kind == 2) {
                v = rnd.nextBoolean() ? 0f : -0f;
            } else if (distinct > 0) {
                v = (rnd.nextBoolean() ? 1 : -1) * 0.25f * (1 + rnd.nextInt(distinct));
            } else {
                v = (float) (rnd.nextGaussian() * Math.pow(2, rnd.nextInt(-12, 3)));
            }
            t.setFloat(i, Numerics.bf16(v));
        }
        return t;
    }
}
