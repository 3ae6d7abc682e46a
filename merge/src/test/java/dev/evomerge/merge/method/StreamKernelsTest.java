package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.FloatFormats;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The streaming linear and task-arithmetic kernels give bit-for-bit the output of the whole-array reference path
 * (float copies, {@link MergeKernels#weightedSum} and {@link GtaMethod#combineLinear}), including NaN, infinities,
 * signed zeros, overflow and the scalar tails, across the parallel task and block boundaries.
 */
class StreamKernelsTest {

    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @ParameterizedTest
    @CsvSource({"BF16, 1, true", "BF16, 17, false", "BF16, 4099, true", "BF16, 200003, false", "BF16, 200003, true",
            "F32, 33, true", "F32, 140001, false"})
    void linearMatchesTheReferencePathBitForBit(DType d, int n, boolean normalize) {
        SplittableRandom rnd = new SplittableRandom(n * 31L + (normalize ? 1 : 0));
        List<Tensor> xs = List.of(random(d, n, rnd), random(d, n, rnd), random(d, n, rnd));
        float[] w = {Numerics.tensorOf(d, 0.4), Numerics.tensorOf(d, 0.3), Numerics.tensorOf(d, 0.31)};
        float den = Numerics.round(d, w[0] + w[1] + w[2]);
        assertThat(StreamKernels.supports(d, xs)).isTrue();
        Tensor expected = Tensor.allocate(d, Shape.of(n));
        MergeKernels.weightedSum(d, xs, w, normalize, den, expected);
        Tensor actual = Tensor.allocate(d, Shape.of(n));
        StreamKernels.weightedSum(d, xs, w, normalize, den, actual);
        assertSameBits(actual, expected);
    }

    @ParameterizedTest
    @CsvSource({"BF16, 5, false, 1.0", "BF16, 4111, true, 1.0", "BF16, 262147, false, 0.7", "BF16, 70001, true, 1.3",
            "F32, 65, true, 0.5", "F32, 140001, false, 1.0"})
    void taskArithmeticMatchesTheReferencePathBitForBit(DType d, int n, boolean normalize, double lambda) {
        SplittableRandom rnd = new SplittableRandom(n * 17L + (normalize ? 1 : 0));
        Tensor base = random(d, n, rnd);
        List<Tensor> xs = List.of(random(d, n, rnd), random(d, n, rnd));
        float[] w = {Numerics.tensorOf(d, 0.4), Numerics.tensorOf(d, -0.3)};
        float div = Numerics.round(d, w[0] + w[1]);
        Tensor expected = Tensor.allocate(d, Shape.of(n));
        float[][] deltas = {TaskVectors.delta(d, xs.get(0), base), TaskVectors.delta(d, xs.get(1), base)};
        GtaMethod.combineLinear(d, base, deltas, w, normalize, lambda, expected);
        Tensor actual = Tensor.allocate(d, Shape.of(n));
        StreamKernels.taskArithmetic(d, base, xs, w, div, normalize, lambda != 1, (float) lambda, actual);
        assertSameBits(actual, expected);
    }

    @Test
    void linearOfTwoBf16ValuesRoundsEveryOpAsDerivedByHand() {
        // x = 1 + 2^-7 and 3, weights 0.5 and 0.25 (exact in bf16): 0.5 x = 0.50390625 and 0.25·3 = 0.75, both
        // exact; the sum 1.25390625 = 1 + 2^-2 + 2^-8 has a dropped part of exactly half a bf16 ulp (2^-7), so
        // ties-to-even keeps 1.0100000b = 1.25. normalize: 1.25 / 0.75 = 1.10101010...b -> 1.1010101b = 1.6640625.
        Tensor a = bf16Of(1f + 0x1p-7f);
        Tensor b = bf16Of(3f);
        Tensor out = Tensor.allocate(DType.BF16, Shape.of(1));
        StreamKernels.weightedSum(DType.BF16, List.of(a, b), new float[] {0.5f, 0.25f}, false, 1f, out);
        assertThat(FloatFormats.bf16ToFloat(out.data().get(I16, 0))).isEqualTo(1.25f);
        StreamKernels.weightedSum(DType.BF16, List.of(a, b), new float[] {0.5f, 0.25f}, true, 0.75f, out);
        assertThat(FloatFormats.bf16ToFloat(out.data().get(I16, 0))).isEqualTo(1.6640625f);
    }

    @Test
    void vectorisedBf16ReadAndWriteMatchTheScalarConversionsForEveryBitPattern() {
        // all 65536 bf16 patterns (NaNs with payloads, subnormals, ±0, ±inf), read at an odd offset for a scalar tail
        int n = 1 << 16;
        Tensor t = Tensor.allocate(DType.BF16, Shape.of(n + 3));
        for (int i = 0; i < n; i++) {
            t.data().set(I16, 2L * (i + 3), (short) i);
        }
        float[] read = new float[n];
        Numerics.read(t, 3, read, 0, n);
        for (int i = 0; i < n; i++) {
            assertThat(Float.floatToRawIntBits(read[i])).isEqualTo(Float.floatToRawIntBits(
                    FloatFormats.bf16ToFloat((short) i)));
        }
        // floats that need rounding, ties, overflow to inf and NaNs with payloads below the bf16 bits
        SplittableRandom rnd = new SplittableRandom(3);
        float[] v = new float[n + 5];
        for (int i = 0; i < v.length; i++) {
            v[i] = Float.intBitsToFloat(rnd.nextInt() & (i % 7 == 0 ? 0xFFFF_8000 : 0xFFFF_FFFF));
        }
        v[0] = Float.intBitsToFloat(0x7F80_0001);
        v[1] = Float.intBitsToFloat(0x7F7F_FFFF);
        Tensor out = Tensor.allocate(DType.BF16, Shape.of(v.length + 1));
        Numerics.writePiece(out, 1, v, v.length);
        for (int i = 0; i < v.length; i++) {
            assertThat(out.data().get(I16, 2L * (i + 1))).as("element %d", i).isEqualTo(FloatFormats.floatToBf16(v[i]));
        }
    }

    @Test
    void supportsOnlyOffHeapBf16OrF32TensorsOfOneSize() {
        Tensor a = Tensor.allocate(DType.BF16, Shape.of(4));
        assertThat(StreamKernels.supports(DType.BF16, List.of(a, Tensor.allocate(DType.BF16, Shape.of(4))))).isTrue();
        assertThat(StreamKernels.supports(DType.BF16, List.of(a, Tensor.allocate(DType.BF16, Shape.of(5))))).isFalse();
        assertThat(StreamKernels.supports(DType.F16, List.of(Tensor.allocate(DType.F16, Shape.of(4))))).isFalse();
        Tensor heap = new Tensor(DType.BF16, Shape.of(4), MemorySegment.ofArray(new byte[8]));
        assertThat(StreamKernels.supports(DType.BF16, List.of(a, heap))).isFalse();
    }

    private static Tensor bf16Of(float v) {
        Tensor t = Tensor.allocate(DType.BF16, Shape.of(1));
        t.data().set(I16, 0, FloatFormats.floatToBf16(v));
        return t;
    }

    /** Values spread over many magnitudes, with NaN, ±inf, ±0, huge values that overflow when summed. */
    private static Tensor random(DType d, int n, SplittableRandom rnd) {
        Tensor t = Tensor.allocate(d, Shape.of(n));
        for (int i = 0; i < n; i++) {
            float v;
            int kind = rnd.nextInt(100);
            if (kind == 0) {
                v = Float.NaN;
            } else if (kind == 1) {
                v = rnd.nextBoolean() ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
            } else if (kind == 2) {
                v = rnd.nextBoolean() ? 0f : -0f;
            } else if (kind == 3) {
                v = (rnd.nextBoolean() ? 1 : -1) * 3.0e38f;
            } else {
                v = (float) (rnd.nextGaussian() * Math.pow(2, rnd.nextInt(-20, 8)));
            }
            t.setFloat(i, Numerics.round(d, v));
        }
        return t;
    }

    private static void assertSameBits(Tensor actual, Tensor expected) {
        long bytes = expected.data().byteSize();
        long mismatch = expected.data().mismatch(actual.data());
        assertThat(mismatch).as("first differing byte of %d", bytes).isEqualTo(-1L);
    }
}
