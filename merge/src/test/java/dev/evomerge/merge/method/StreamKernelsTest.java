package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.FloatFormats;
import dev.evomerge.core.tensor.RowBlockTarget;
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
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The streaming linear and task-arithmetic kernels give bit-for-bit the output of the whole-array reference path
 * (float copies, {@link MergeKernels#weightedSum} and {@link GtaMethod#combineLinear}), including NaN, infinities,
 * signed zeros, overflow and the scalar tails, across the parallel task and block boundaries.
 */
class StreamKernelsTest {

    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @ParameterizedTest
    @CsvSource({"BF16, 1, true, 3", "BF16, 17, false, 3", "BF16, 4099, true, 3", "BF16, 200003, false, 3",
            "BF16, 200003, true, 3", "F32, 33, true, 3", "F32, 140001, false, 3",
            // one and four inputs take the general bf16 loop, two and three the unrolled one
            "BF16, 4099, true, 1", "BF16, 70001, false, 2", "BF16, 4099, true, 2", "BF16, 70001, true, 4",
            // on 512-bit vectors two and three inputs take the 32-element loop first; lengths of 32k + 17 end in one
            // 16-element iteration and a scalar element, 32k + 16 in the 16-element loop, 32k + 9 in the scalar
            // tail; the divisor is 0.7 (two inputs) or 1.0078125 (three), never the skipped 1
            "BF16, 4113, false, 2", "BF16, 4113, true, 2", "BF16, 4112, true, 2", "BF16, 4105, false, 2",
            "BF16, 4113, false, 3", "BF16, 4113, true, 3", "BF16, 4112, false, 3", "BF16, 4105, true, 3"})
    void linearMatchesTheReferencePathBitForBit(DType d, int n, boolean normalize, int models) {
        SplittableRandom rnd = new SplittableRandom(n * 31L + (normalize ? 1 : 0) + 7L * models);
        double[] weights = {0.4, 0.3, 0.31, -0.17};
        List<Tensor> xs = new java.util.ArrayList<>();
        float[] w = new float[models];
        float sum = 0f;
        for (int m = 0; m < models; m++) {
            xs.add(random(d, n, rnd));
            w[m] = Numerics.tensorOf(d, weights[m]);
            sum += w[m];
        }
        float den = Numerics.round(d, sum);
        assertThat(StreamKernels.supports(d, xs)).isTrue();
        Tensor expected = Tensor.allocate(d, Shape.of(n));
        MergeKernels.weightedSum(d, xs, w, normalize, den, expected);
        Tensor actual = Tensor.allocate(d, Shape.of(n));
        StreamKernels.weightedSum(d, xs, w, normalize, den, actual, null);
        assertSameBits(actual, expected);
    }

    @ParameterizedTest
    @CsvSource({"BF16, 5, false, 1.0, 2", "BF16, 4111, true, 1.0, 2", "BF16, 262147, false, 0.7, 2",
            "BF16, 70001, true, 1.3, 2", "F32, 65, true, 0.5, 2", "F32, 140001, false, 1.0, 2",
            // one and four fine-tunes take the general bf16 loop, two and three the unrolled one
            "BF16, 4111, true, 0.7, 1", "BF16, 70001, false, 1.0, 3", "BF16, 4111, true, 1.3, 3",
            "BF16, 70001, true, 0.7, 4",
            // the 32-element loop of two and three fine-tunes, ending in the 16-element loop (32k + 17, 32k + 16)
            // or in the scalar tail (32k + 9), with and without normalize and lambda
            "BF16, 4113, false, 1.0, 2", "BF16, 4113, true, 0.7, 2", "BF16, 4112, true, 1.0, 2",
            "BF16, 4105, false, 1.3, 2", "BF16, 4113, true, 1.3, 3", "BF16, 4113, false, 0.7, 3",
            "BF16, 4112, false, 1.0, 3", "BF16, 4105, true, 1.0, 3"})
    void taskArithmeticMatchesTheReferencePathBitForBit(DType d, int n, boolean normalize, double lambda,
                                                        int models) {
        SplittableRandom rnd = new SplittableRandom(n * 17L + (normalize ? 1 : 0) + 5L * models);
        Tensor base = random(d, n, rnd);
        double[] weights = {0.4, -0.3, 0.55, 0.21};
        List<Tensor> xs = new java.util.ArrayList<>();
        float[] w = new float[models];
        float[][] deltas = new float[models][];
        float sum = 0f;
        for (int m = 0; m < models; m++) {
            xs.add(random(d, n, rnd));
            w[m] = Numerics.tensorOf(d, weights[m]);
            sum += w[m];
            deltas[m] = TaskVectors.delta(d, xs.get(m), base);
        }
        float div = Numerics.round(d, sum);
        Tensor expected = Tensor.allocate(d, Shape.of(n));
        GtaMethod.combine(d, base, deltas, new GtaMethod.Mixing(w, false, normalize, lambda), expected);
        Tensor actual = Tensor.allocate(d, Shape.of(n));
        StreamKernels.taskArithmetic(d, base, xs, w, div, normalize, lambda != 1, (float) lambda, actual, null);
        assertSameBits(actual, expected);
    }

    @ParameterizedTest
    @CsvSource({"linear, 2, false", "linear, 2, true", "linear, 3, true", "task_arithmetic, 2, false",
            "task_arithmetic, 2, true", "task_arithmetic, 3, true"})
    void everyBf16PatternAtAnEvenAndAnOddElementMergesAsTheReferencePath(String method, int models,
                                                                         boolean normalize) {
        // the 32-element loop takes even and odd elements apart (low and high halves of a 32-bit lane): every one of
        // the 65536 bf16 patterns (NaN payloads, signalling NaNs, subnormals, ±0, ±inf) in the first input, once at an
        // even and once at an odd element; the other inputs (and the base) hold the patterns in other orders so that
        // each meets many partners; 2^17 + 13 elements end in the 16-element loop and a scalar tail. The kernels
        // run with the wide loops and without them, and both must match the reference bit for bit.
        int p = 1 << 16;
        int n = 2 * p + 13;
        List<Tensor> xs = new java.util.ArrayList<>();
        for (int m = 0; m <= models; m++) {
            Tensor t = Tensor.allocate(DType.BF16, Shape.of(n));
            for (int i = 0; i < n; i++) {
                // element i and element p + 1 + i hold the same pattern in input 0, at opposite parities
                int j = i <= p ? i : i - p - 1;
                t.data().set(I16, 2L * i, (short) (j * (2 * m + 1) + 977 * m));
            }
            xs.add(t);
        }
        boolean linear = method.equals("linear");
        Tensor base = linear ? null : xs.remove(models);
        if (linear) {
            xs.remove(models);
        }
        float[] w = new float[models];
        float sum = 0f;
        for (int m = 0; m < models; m++) {
            w[m] = Numerics.tensorOf(DType.BF16, new double[] {0.4, -0.3, 0.55}[m]);
            sum += w[m];
        }
        float div = Numerics.round(DType.BF16, sum);
        float lambda = 1.3f;
        Tensor expected = Tensor.allocate(DType.BF16, Shape.of(n));
        if (linear) {
            MergeKernels.weightedSum(DType.BF16, xs, w, normalize, div, expected);
        } else {
            float[][] deltas = new float[models][];
            for (int m = 0; m < models; m++) {
                deltas[m] = TaskVectors.delta(DType.BF16, xs.get(m), base);
            }
            GtaMethod.combine(DType.BF16, base, deltas, new GtaMethod.Mixing(w, false, normalize, lambda), expected);
        }
        for (String wide : new String[] {"true", "false"}) {
            String before = System.setProperty(StreamKernels.WIDE_PROPERTY, wide);
            try {
                Tensor actual = Tensor.allocate(DType.BF16, Shape.of(n));
                if (linear) {
                    StreamKernels.weightedSum(DType.BF16, xs, w, normalize, div, actual, null);
                } else {
                    StreamKernels.taskArithmetic(DType.BF16, base, xs, w, div, normalize, true, lambda, actual, null);
                }
                assertSameBits(actual, expected);
            } finally {
                if (before == null) {
                    System.clearProperty(StreamKernels.WIDE_PROPERTY);
                } else {
                    System.setProperty(StreamKernels.WIDE_PROPERTY, before);
                }
            }
        }
    }

    @Test
    void linearOfTwoBf16ValuesRoundsEveryOpAsDerivedByHand() {
        // x = 1 + 2^-7 and 3, weights 0.5 and 0.25 (exact in bf16): 0.5 x = 0.50390625 and 0.25·3 = 0.75, both
        // exact; the sum 1.25390625 = 1 + 2^-2 + 2^-8 has a dropped part of exactly half a bf16 ulp (2^-7), so
        // ties-to-even keeps 1.0100000b = 1.25. normalize: 1.25 / 0.75 = 1.10101010...b -> 1.1010101b = 1.6640625.
        Tensor a = bf16Of(1f + 0x1p-7f);
        Tensor b = bf16Of(3f);
        Tensor out = Tensor.allocate(DType.BF16, Shape.of(1));
        StreamKernels.weightedSum(DType.BF16, List.of(a, b), new float[] {0.5f, 0.25f}, false, 1f, out, null);
        assertThat(FloatFormats.bf16ToFloat(out.data().get(I16, 0))).isEqualTo(1.25f);
        StreamKernels.weightedSum(DType.BF16, List.of(a, b), new float[] {0.5f, 0.25f}, true, 0.75f, out, null);
        assertThat(FloatFormats.bf16ToFloat(out.data().get(I16, 0))).isEqualTo(1.6640625f);
    }

    @ParameterizedTest
    @CsvSource({"linear, BF16", "task_arithmetic, BF16", "linear, F32", "task_arithmetic, F32"})
    void streamedMethodsWriteIntoAnOfferedTargetOfTheirDtypeAndShapeOnly(String method, DType d) {
        SplittableRandom rnd = new SplittableRandom(5);
        int n = 3000;
        List<MergeInputs.InputTensor> ins = List.of(
                new MergeInputs.InputTensor("base", random(d, n, rnd), java.util.Map.of("weight", 0.2)),
                new MergeInputs.InputTensor("a", random(d, n, rnd), java.util.Map.of("weight", 0.5)),
                new MergeInputs.InputTensor("b", random(d, n, rnd), java.util.Map.of("weight", -0.3)));
        String base = method.equals("linear") ? null : "base";
        MergeMethod m = MergeMethods.byName(method);
        Tensor alone = m.merge(new MergeInputs("w", false, ins, base, java.util.Map.of(), d, null, null));
        // an offered target of the right dtype and shape receives the result, asked for once
        Tensor target = Tensor.allocate(d, Shape.of(n));
        int[] asked = {0};
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            Tensor into = m.merge(new MergeInputs("w", false, ins, base, java.util.Map.of(), d, null, null, () -> {
                asked[0]++;
                return target;
            }), arena);
            assertThat(into.data().address()).isEqualTo(target.data().address());
            assertThat(asked[0]).isEqualTo(1);
            assertSameBits(into, alone);
            // a target of another dtype or shape is not used
            DType other = d == DType.BF16 ? DType.F32 : DType.BF16;
            for (Tensor wrong : List.of(Tensor.allocate(other, Shape.of(n)), Tensor.allocate(d, Shape.of(n + 1)))) {
                Tensor own = m.merge(new MergeInputs("w", false, ins, base, java.util.Map.of(), d, null, null,
                        () -> wrong), arena);
                assertThat(own.data().address()).isNotEqualTo(wrong.data().address());
                assertSameBits(own, alone);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"linear, BF16", "task_arithmetic, BF16", "linear, F32", "task_arithmetic, F32"})
    void streamedMethodsHandEveryRowOnceToARowTargetAndLeaveTheTargetUnwritten(String method, DType d) {
        // 37 rows of 83 columns in blocks of 8: a short last block, rows that are not a whole number of vectors
        int rows = 37;
        int cols = 83;
        SplittableRandom rnd = new SplittableRandom(9);
        Shape shape = Shape.of(rows, cols);
        List<MergeInputs.InputTensor> ins = List.of(
                new MergeInputs.InputTensor("base", random(d, rows * cols, rnd).reshape(shape), java.util.Map.of("weight", 0.2)),
                new MergeInputs.InputTensor("a", random(d, rows * cols, rnd).reshape(shape), java.util.Map.of("weight", 0.5)),
                new MergeInputs.InputTensor("b", random(d, rows * cols, rnd).reshape(shape), java.util.Map.of("weight", -0.3)));
        String base = method.equals("linear") ? null : "base";
        MergeMethod m = MergeMethods.byName(method);
        Tensor alone = m.merge(new MergeInputs("w", false, ins, base, java.util.Map.of(), d, null, null));
        Tensor target = Tensor.allocate(d, shape);
        Tensor received = Tensor.allocate(d, shape);
        int[] timesPut = new int[rows];
        RowBlockTarget rowTarget = new RowBlockTarget() {
            @Override
            public DType dtype() {
                return d;
            }

            @Override
            public Shape shape() {
                return shape;
            }

            @Override
            public int blockRows() {
                return 8;
            }

            @Override
            public synchronized void putRows(int row0, int n, MemorySegment block) {
                assertThat(row0 % 8).isZero();
                assertThat(block.byteSize()).isEqualTo((long) n * cols * d.byteSize());
                MemorySegment.copy(block, 0, received.data(), (long) row0 * cols * d.byteSize(), block.byteSize());
                for (int r = row0; r < row0 + n; r++) {
                    timesPut[r]++;
                }
            }
        };
        OutputTarget offered = new OutputTarget() {
            @Override
            public Tensor get() {
                return target;
            }

            @Override
            public RowBlockTarget rows(Tensor out) {
                return out == target ? rowTarget : null;
            }
        };
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            Tensor into = m.merge(new MergeInputs("w", false, ins, base, java.util.Map.of(), d, null, null, offered),
                    arena);
            assertThat(into).isSameAs(target);
        }
        assertThat(timesPut).containsOnly(1);
        assertSameBits(received, alone);
        assertThat(target.data().mismatch(MemorySegment.ofArray(new byte[(int) target.byteSize()]))).isEqualTo(-1);
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

    /**
     * Values spread over many magnitudes, with NaN (also signalling NaNs with payloads), ±inf, ±0, huge values that
     * overflow when summed.
     */
    /**
     * The unrolled bf16 loops read and write at addresses checked once per call (NativeMemory): an input shorter than
     * the output fails the way an access through its segment would, with nothing read past it, for both loops and
     * for the linear and task-arithmetic ones alike.
     */
    @ParameterizedTest
    @CsvSource({"2, true", "3, true", "2, false", "3, false"})
    void anInputShorterThanTheOutputFailsInsteadOfBeingReadPast(int models, boolean linear) {
        SplittableRandom rnd = new SplittableRandom(models);
        int n = 4128; // 129 x 32: on 512-bit vectors the wide loop covers it all, no tail reads through a segment
        Tensor base = random(DType.BF16, n, rnd);
        List<Tensor> xs = new java.util.ArrayList<>();
        for (int m = 0; m < models - 1; m++) {
            xs.add(random(DType.BF16, n, rnd));
        }
        xs.add(random(DType.BF16, n - 40, rnd)); // the last input ends 40 elements early
        float[] w = {0.4f, 0.3f, 0.3f};
        Tensor out = Tensor.allocate(DType.BF16, Shape.of(n));
        org.assertj.core.api.ThrowableAssert.ThrowingCallable merge = linear
                ? () -> StreamKernels.weightedSum(DType.BF16, xs, w, false, 1f, out, null)
                : () -> StreamKernels.taskArithmetic(DType.BF16, base, xs, w, 1f, false, false, 1f, out, null);
        assertThatThrownBy(merge).isInstanceOf(IndexOutOfBoundsException.class);
    }

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
            } else if (kind == 4) {
                // a NaN with a payload (signalling: quiet bit clear), stored as raw bits so nothing quiets it first
                int sign = rnd.nextBoolean() ? 0x8000_0000 : 0;
                if (d == DType.BF16) {
                    t.data().set(I16, 2L * i, (short) ((sign | 0x7F81_0000 | rnd.nextInt(0x3F) << 16) >>> 16));
                } else {
                    t.data().set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4L * i,
                            sign | 0x7F80_0001 | rnd.nextInt(0x3F_FFFF));
                }
                continue;
            } else {
                v = (float) (rnd.nextGaussian() * Math.pow(2, rnd.nextInt(-20, 8)));
            }
            t.setFloat(i, Numerics.round(d, v));
        }
        return t;
    }

    /**
     * Bit-for-bit equality, except that where both are NaN only NaN-ness and the quiet bit are compared: which payload
     * survives when two NaNs meet depends on the operand order the JIT picks for a commutative add (Java leaves NaN
     * payloads unspecified, and PyTorch does not keep them either: see docs/compatibility.md).
     */
    private static void assertSameBits(Tensor actual, Tensor expected) {
        long n = expected.numel();
        boolean bf = expected.dtype() == DType.BF16;
        ValueLayout.OfInt i32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < n; i++) {
            int e = bf ? expected.data().get(I16, 2 * i) << 16 : expected.data().get(i32, 4 * i);
            int a = bf ? actual.data().get(I16, 2 * i) << 16 : actual.data().get(i32, 4 * i);
            if (Float.isNaN(Float.intBitsToFloat(e)) && Float.isNaN(Float.intBitsToFloat(a))) {
                assertThat(a & 0x0040_0000).as("quiet bit of the NaN at element %d", i).isNotZero();
            } else {
                assertThat(Integer.toHexString(a)).as("bits of element %d of %d", i, n)
                        .isEqualTo(Integer.toHexString(e));
            }
        }
    }
}
