package dev.evomerge.core.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Kernels.convert against the scalar definition, bit for bit, plus exhaustive 16-bit round trips. */
class KernelsConvertTest {

    static Stream<Arguments> allPairs() {
        return Stream.of(DType.values()).flatMap(s -> Stream.of(DType.values()).map(d -> Arguments.of(s, d)));
    }

    private static void assertSameBytes(Tensor actual, Tensor expected, String what) {
        long at = actual.data().mismatch(expected.data());
        assertThat(at).as("%s: first differing byte (element %d)", what,
                at < 0 ? -1 : at / actual.dtype().byteSize()).isEqualTo(-1L);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("allPairs")
    void everyPairMatchesScalarForSmallSizesAndTails(DType s, DType d) {
        SplittableRandom random = new SplittableRandom(31L * s.ordinal() + d.ordinal());
        for (int n = 0; n <= 70; n++) {
            Tensor src = TensorTestData.random(s, n, random);
            Tensor expected = TensorTestData.zeros(d, n);
            Tensor actual = TensorTestData.zeros(d, n);
            ScalarKernels.convert(src, expected);
            Kernels.convert(src, actual);
            assertSameBytes(actual, expected, s + "->" + d + " n=" + n);
        }
    }

    static Stream<Arguments> largePairs() {
        return Stream.of(
                Arguments.of(DType.BF16, DType.F32), Arguments.of(DType.F32, DType.BF16),
                Arguments.of(DType.F16, DType.F32), Arguments.of(DType.F32, DType.F16),
                Arguments.of(DType.F32, DType.F64), Arguments.of(DType.F64, DType.F32),
                Arguments.of(DType.BF16, DType.F16), Arguments.of(DType.F64, DType.BF16),
                Arguments.of(DType.I32, DType.F32), Arguments.of(DType.BF16, DType.BF16));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("largePairs")
    void largeTensorsCrossingTheThreadingThresholdMatchScalar(DType s, DType d) {
        SplittableRandom random = new SplittableRandom(5L * s.ordinal() + d.ordinal());
        long n = Kernels.PARALLEL_THRESHOLD + Kernels.CHUNK / 2 + 13; // several chunks, a ragged last one, a tail
        Tensor src = TensorTestData.random(s, n, random);
        Tensor expected = TensorTestData.zeros(d, n);
        Tensor actual = TensorTestData.zeros(d, n);
        ScalarKernels.convert(src, expected);
        Kernels.convert(src, actual);
        assertSameBytes(actual, expected, s + "->" + d);
    }

    @Test
    void everyBf16PatternRoundTripsThroughF32() {
        Tensor all = Tensor.allocate(DType.BF16, Shape.of(0x10000));
        for (int b = 0; b < 0x10000; b++) {
            all.data().setAtIndex(ScalarAccess.SHORT, b, (short) b);
        }
        Tensor f32 = Kernels.convert(all, DType.F32);
        Tensor back = Kernels.convert(f32, DType.BF16);
        int nans = 0;
        for (int b = 0; b < 0x10000; b++) {
            int wide = Float.floatToRawIntBits(f32.getFloat(b));
            int r = back.data().getAtIndex(ScalarAccess.SHORT, b) & 0xFFFF;
            boolean nan = Float.isNaN(f32.getFloat(b));
            nans += nan ? 1 : 0;
            // NaNs come back quietened with sign and payload kept; everything else exactly
            if (wide != b << 16 || r != (nan ? b | 0x0040 : b)) {
                throw new AssertionError(String.format("bf16 0x%04x: f32 0x%08x, back 0x%04x", b, wide, r));
            }
        }
        assertThat(nans).isEqualTo(2 * 127);
    }

    @Test
    void everyF16PatternRoundTripsThroughF32() {
        Tensor all = Tensor.allocate(DType.F16, Shape.of(0x10000));
        for (int b = 0; b < 0x10000; b++) {
            all.data().setAtIndex(ScalarAccess.SHORT, b, (short) b);
        }
        Tensor f32 = Kernels.convert(all, DType.F32);
        Tensor back = Kernels.convert(f32, DType.F16);
        Tensor viaBf16 = Kernels.convert(all, DType.BF16);
        int checkedNaNs = 0;
        for (int b = 0; b < 0x10000; b++) {
            float jdk = Float.float16ToFloat((short) b);
            int wide = Float.floatToRawIntBits(f32.getFloat(b));
            int r = back.data().getAtIndex(ScalarAccess.SHORT, b) & 0xFFFF;
            int bf = viaBf16.data().getAtIndex(ScalarAccess.SHORT, b) & 0xFFFF;
            boolean ok;
            if (Float.isNaN(jdk)) {
                checkedNaNs++;
                // payload moves to the top of the float payload; narrowing back quietens it, keeping sign and payload
                ok = wide == (((b & 0x8000) << 16) | 0x7F80_0000 | ((b & 0x3FF) << 13)) && r == (b | 0x0200)
                        && Float.isNaN(FloatFormats.bf16ToFloat((short) bf)) && (bf & 0x8000) == (b & 0x8000);
            } else {
                ok = wide == Float.floatToRawIntBits(jdk) && r == b && bf == (FloatFormats.floatToBf16(jdk) & 0xFFFF);
            }
            if (!ok) { // (a plain check: AssertJ per value would dominate the run time)
                throw new AssertionError(String.format("fp16 0x%04x: f32 0x%08x, back 0x%04x, bf16 0x%04x", b, wide, r,
                        bf));
            }
        }
        assertThat(checkedNaNs).isEqualTo(2 * 1023);
    }

    @Test
    void handPickedBf16ToF32Values() {
        Tensor t = Tensor.allocate(DType.BF16, Shape.of(20));
        short[] bits = {0x3F80, (short) 0xC040, 0x0001, (short) 0xFF80, 0x7F7F};
        for (int i = 0; i < 20; i++) {
            t.data().setAtIndex(ScalarAccess.SHORT, i, bits[i % bits.length]);
        }
        float[] out = Kernels.toFloatArray(t);
        assertThat(out[0]).isEqualTo(1.0f);
        assertThat(out[16]).isEqualTo(-3.0f); // a lane of the second vector on AVX-512
        assertThat(out[17]).isEqualTo(0x1p-133f);
        assertThat(out[18]).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(out[19]).isEqualTo(0x1.fep127f); // tail element
    }

    @Test
    void floatArrayHelpersMatchScalarConversion() {
        SplittableRandom random = new SplittableRandom(99);
        for (DType d : new DType[] {DType.F32, DType.BF16, DType.F16, DType.F64, DType.I8}) {
            int large = d == DType.BF16 || d == DType.F32 ? (int) Kernels.PARALLEL_THRESHOLD + 5 : 4099;
            for (int n : new int[] {0, 1, 15, 16, 17, 33, 1000, large}) {
                Tensor src = TensorTestData.random(DType.F32, n, random);
                float[] values = Kernels.toFloatArray(src);
                for (int i = 0; i < n; i += Math.max(1, n / 97)) {
                    assertThat(Float.floatToRawIntBits(values[i])).isEqualTo(Float.floatToRawIntBits(src.getFloat(i)));
                }
                Tensor made = Kernels.fromFloatArray(values, Shape.of(n), d);
                Tensor expected = TensorTestData.zeros(d, n);
                ScalarKernels.convert(src, expected);
                assertSameBytes(made, expected, "fromFloatArray " + d + " n=" + n);
                float[] again = Kernels.toFloatArray(made);
                for (int i = 0; i < n; i += Math.max(1, n / 97)) {
                    assertThat(Float.floatToRawIntBits(again[i])).isEqualTo(Float.floatToRawIntBits(made.getFloat(i)));
                }
            }
        }
    }

    @Test
    void toF32IsAnIndependentCopy() {
        Tensor t = Tensor.allocate(DType.F32, Shape.of(3));
        t.setFloat(1, 2.5f);
        Tensor c = t.toF32();
        c.setFloat(1, 9f);
        assertThat(t.getFloat(1)).isEqualTo(2.5f);
        assertThat(c.shape()).isEqualTo(Shape.of(3));
        Tensor h = Tensor.allocate(DType.F16, Shape.of(2, 2));
        h.setFloat(3, -0.5f);
        Tensor hc = h.toF32();
        assertThat(hc.dtype()).isEqualTo(DType.F32);
        assertThat(hc.shape()).isEqualTo(Shape.of(2, 2));
        assertThat(hc.getFloat(3)).isEqualTo(-0.5f);
    }

    @Test
    void confinedAndHeapSegmentsFallBackInsteadOfFailing() {
        long n = Kernels.PARALLEL_THRESHOLD + 3;
        Tensor src = TensorTestData.random(DType.BF16, n, new SplittableRandom(1));
        Tensor expected = TensorTestData.zeros(DType.F32, n);
        ScalarKernels.convert(src, expected);
        try (Arena arena = Arena.ofConfined()) {
            Tensor confined = Tensor.allocate(DType.F32, Shape.of(n), arena);
            Kernels.convert(src, confined); // pool threads may not touch it: must run on this thread
            assertSameBytes(confined, expected, "confined");
        }
        float[] heap = new float[(int) n];
        Tensor onHeap = new Tensor(DType.F32, Shape.of(n), MemorySegment.ofArray(heap));
        Kernels.convert(src, onHeap);
        assertSameBytes(onHeap, expected, "float[] heap segment");
    }

    @Test
    void rejectsMismatchedCountsAndOverlap() {
        Tensor a = Tensor.allocate(DType.F32, Shape.of(8));
        assertThatThrownBy(() -> Kernels.convert(a, Tensor.allocate(DType.BF16, Shape.of(7))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("element counts");
        Tensor overlapping = new Tensor(DType.BF16, Shape.of(8), a.data().asSlice(4, 16));
        assertThatThrownBy(() -> Kernels.convert(a, overlapping))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overlaps");
        a.setFloat(2, 4f);
        Kernels.convert(a, a); // same dtype, same bytes: a no-op copy
        assertThat(a.getFloat(2)).isEqualTo(4f);
    }
}
