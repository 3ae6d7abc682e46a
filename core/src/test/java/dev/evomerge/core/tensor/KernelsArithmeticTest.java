package dev.evomerge.core.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.ForkJoinPool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** axpy, scale, add, dot and norm: hand-computed values, and vector == scalar bit for bit at every size. */
class KernelsArithmeticTest {

    private static final long LARGE = Kernels.PARALLEL_THRESHOLD + Kernels.CHUNK + 7;

    private static Tensor f32(float... values) {
        Tensor t = Tensor.allocate(DType.F32, Shape.of(values.length));
        for (int i = 0; i < values.length; i++) {
            t.setFloat(i, values[i]);
        }
        return t;
    }

    private static Tensor filled(long n, float v) {
        Tensor t = TensorTestData.zeros(DType.F32, n);
        for (long i = 0; i < n; i++) {
            t.setFloat(i, v);
        }
        return t;
    }

    /** Identical bits, except that two NaNs count as equal (Java leaves the payload of computed NaNs open). */
    private static void assertSameFloats(Tensor actual, Tensor expected, String what) {
        assertThat(actual.numel()).isEqualTo(expected.numel());
        if (actual.data().mismatch(expected.data()) == -1) {
            return;
        }
        for (long i = 0; i < expected.numel(); i++) {
            float a = actual.getFloat(i);
            float e = expected.getFloat(i);
            if (!(Float.isNaN(a) && Float.isNaN(e)) && Float.floatToRawIntBits(a) != Float.floatToRawIntBits(e)) {
                throw new AssertionError(what + ": element " + i + " is " + a + ", scalar gives " + e);
            }
        }
    }

    private static void assertSameDouble(double actual, double expected, String what) {
        assertThat(Double.doubleToLongBits(actual)).as("%s: %s vs scalar %s", what, actual, expected)
                .isEqualTo(Double.doubleToLongBits(expected));
    }

    private static Tensor operand(long n, boolean raw, SplittableRandom random) {
        return raw ? TensorTestData.random(DType.F32, n, random) : TensorTestData.randomFinite(n, random);
    }

    @Test
    void handComputedValues() {
        Tensor y = f32(10, 20, 30);
        Kernels.axpy(2f, f32(1, 2, 3), y);
        assertThat(Kernels.toFloatArray(y)).containsExactly(12f, 24f, 36f);
        Kernels.scale(-0.5f, y);
        assertThat(Kernels.toFloatArray(y)).containsExactly(-6f, -12f, -18f);
        Tensor z = Tensor.allocate(DType.F32, Shape.of(3));
        Kernels.add(y, f32(1, 2, 3), z);
        assertThat(Kernels.toFloatArray(z)).containsExactly(-5f, -10f, -15f);
        assertThat(Kernels.dot(f32(1, 2, 3), f32(4, 5, 6))).isEqualTo(32.0);
        assertThat(Kernels.norm(f32(3, 4))).isEqualTo(5.0);
        assertThat(Kernels.dot(f32(), f32())).isEqualTo(0.0);
        // squares accumulate in double: (2^100)^2 would overflow float, here the norm is exact up to sqrt rounding
        assertThat(Kernels.norm(f32(0x1p100f, 0x1p100f))).isEqualTo(Math.sqrt(2.0) * 0x1p100);
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 15, 16, 17, 37, 64, 1000})
    void axpyRoundsOnceLikeFma(int n) {
        // a*x = 1 + 2^-11 + 2^-24 exactly; rounded to float first it would be the tie 1 + 2^-11 (even): the sum with
        // y = -1 is then 2^-11, whereas a single rounding keeps 2^-11 + 2^-24
        float a = 1 + 0x1p-12f;
        Tensor y = filled(n, -1f);
        Kernels.axpy(a, filled(n, a), y);
        for (int i = 0; i < n; i++) {
            assertThat(y.getFloat(i)).isEqualTo(0x1p-11f + 0x1p-24f);
        }
    }

    @Test
    void dotFollowsTheDocumentedLaneOrder() {
        // 17 elements: lane 0 gets element 0 (2^60) then element 16 (+1, lost: ulp(2^60) = 256), lane 1 gets -2^60.
        // Documented order: p0 = 2^60, p1 = -2^60, block = p0 + p1 + ... = 0. A left-to-right sum would give 1.
        Tensor x = Tensor.allocate(DType.F32, Shape.of(17));
        Tensor y = Tensor.allocate(DType.F32, Shape.of(17));
        x.setFloat(0, 0x1p30f);
        y.setFloat(0, 0x1p30f);
        x.setFloat(1, 0x1p30f);
        y.setFloat(1, -0x1p30f);
        x.setFloat(16, 1f);
        y.setFloat(16, 1f);
        assertThat(Kernels.dot(x, y)).isEqualTo(0.0);
        assertThat(ScalarKernels.dot(x, y)).isEqualTo(0.0);
        // now element 16 cancels element 0 inside lane 0 and lane 1 holds 1: the block gives 1, where a
        // left-to-right sum (2^60 + 1 -> 2^60, then - 2^60) would give 0
        x.setFloat(1, 1f);
        y.setFloat(1, 1f);
        x.setFloat(16, 0x1p30f);
        y.setFloat(16, -0x1p30f);
        assertThat(Kernels.dot(x, y)).isEqualTo(1.0);
    }

    @Test
    void dotAddsBlockResultsInIndexOrder() {
        // block 0 sums to 2^60, block 1 to 1, block 2 to -2^60: ((0 + 2^60) + 1) + -2^60 = 0 in double
        long n = 2L * Kernels.REDUCTION_BLOCK + 1;
        Tensor x = TensorTestData.zeros(DType.F32, n);
        Tensor y = TensorTestData.zeros(DType.F32, n);
        x.setFloat(0, 0x1p30f);
        y.setFloat(0, 0x1p30f);
        x.setFloat(Kernels.REDUCTION_BLOCK, 1f);
        y.setFloat(Kernels.REDUCTION_BLOCK, 1f);
        x.setFloat(n - 1, 0x1p30f);
        y.setFloat(n - 1, -0x1p30f);
        assertThat(Kernels.dot(x, y)).isEqualTo(0.0);
    }

    @ParameterizedTest(name = "raw bits: {0}")
    @ValueSource(booleans = {false, true})
    void everySmallSizeMatchesScalar(boolean raw) {
        SplittableRandom random = new SplittableRandom(raw ? 17 : 18);
        for (int n = 0; n <= 70; n++) {
            checkAll(n, raw, random);
        }
    }

    @Test
    void largeSizesMatchScalar() {
        SplittableRandom random = new SplittableRandom(19);
        checkAll(LARGE, false, random);
        checkAll(3L * Kernels.REDUCTION_BLOCK + 5, true, random); // below the threshold, several blocks
    }

    private static void checkAll(long n, boolean raw, SplittableRandom random) {
        Tensor x = operand(n, raw, random);
        Tensor y = operand(n, raw, random);
        float a = raw ? TensorTestData.randomFloat(random) : (float) random.nextGaussian();
        String at = "n=" + n + " raw=" + raw;

        Tensor yVector = TensorTestData.copy(y);
        Tensor yScalar = TensorTestData.copy(y);
        Kernels.axpy(a, x, yVector);
        ScalarKernels.axpy(a, x, yScalar);
        assertSameFloats(yVector, yScalar, "axpy " + at);

        for (DType sixteen : new DType[] {DType.BF16, DType.F16}) {
            Tensor x16 = TensorTestData.random(sixteen, n, random);
            Tensor v = TensorTestData.copy(y);
            Tensor s = TensorTestData.copy(y);
            Kernels.axpy(a, x16, v);
            ScalarKernels.axpy(a, x16, s);
            assertSameFloats(v, s, "axpy " + sixteen + " " + at);
        }

        Tensor xVector = TensorTestData.copy(x);
        Tensor xScalar = TensorTestData.copy(x);
        Kernels.scale(a, xVector);
        ScalarKernels.scale(a, xScalar);
        assertSameFloats(xVector, xScalar, "scale " + at);

        Tensor zVector = TensorTestData.zeros(DType.F32, n);
        Tensor zScalar = TensorTestData.zeros(DType.F32, n);
        Kernels.add(x, y, zVector);
        ScalarKernels.add(x, y, zScalar);
        assertSameFloats(zVector, zScalar, "add " + at);

        assertSameDouble(Kernels.dot(x, y), ScalarKernels.dot(x, y), "dot " + at);
        assertSameDouble(Kernels.norm(x), ScalarKernels.norm(x), "norm " + at);
    }

    @Test
    void reductionsDoNotDependOnTheThreadCount() throws Exception {
        SplittableRandom random = new SplittableRandom(23);
        long n = 3 * Kernels.PARALLEL_THRESHOLD + 11;
        Tensor x = TensorTestData.randomFinite(n, random);
        Tensor y = TensorTestData.randomFinite(n, random);
        double reference = ScalarKernels.dot(x, y);
        double referenceNorm = ScalarKernels.norm(x);
        assertSameDouble(Kernels.dot(x, y), reference, "common pool");
        for (int threads : new int[] {1, 3, 7}) {
            ForkJoinPool pool = new ForkJoinPool(threads);
            try {
                // a parallel stream started inside a pool task runs in that pool
                assertSameDouble(pool.submit(() -> Kernels.dot(x, y)).get(), reference, threads + " threads");
                assertSameDouble(pool.submit(() -> Kernels.norm(x)).get(), referenceNorm, threads + " threads");
            } finally {
                pool.shutdown();
            }
        }
        // and the blocked sum is close to the exact value (a check on the reference itself)
        double exact = 0;
        double magnitude = 0;
        for (long i = 0; i < n; i++) {
            double p = (double) x.getFloat(i) * y.getFloat(i);
            exact += p;
            magnitude += Math.abs(p);
        }
        assertThat(Math.abs(reference - exact)).isLessThanOrEqualTo(1e-12 * magnitude);
    }

    @Test
    void aliasingOperandsIsAllowedWhenExact() {
        Tensor x = f32(1, 2, 3);
        Kernels.axpy(1f, x, x); // x += x
        assertThat(Kernels.toFloatArray(x)).containsExactly(2f, 4f, 6f);
        Kernels.add(x, x, x);
        assertThat(Kernels.toFloatArray(x)).containsExactly(4f, 8f, 12f);
        Tensor shifted = new Tensor(DType.F32, Shape.of(2), x.data().asSlice(4, 8));
        Tensor head = new Tensor(DType.F32, Shape.of(2), x.data().asSlice(0, 8));
        assertThatThrownBy(() -> Kernels.axpy(1f, head, shifted))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overlaps");
    }

    @Test
    void rejectsWrongDtypesAndCounts() {
        Tensor bf = Tensor.allocate(DType.BF16, Shape.of(3));
        Tensor f = Tensor.allocate(DType.F32, Shape.of(3));
        assertThatThrownBy(() -> Kernels.scale(2f, bf)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("F32");
        assertThatThrownBy(() -> Kernels.axpy(2f, f, bf)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Kernels.axpy(2f, Tensor.allocate(DType.I32, Shape.of(3)), f))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Kernels.dot(f, Tensor.allocate(DType.F32, Shape.of(4))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("element counts");
        assertThatThrownBy(() -> Kernels.add(f, f, Tensor.allocate(DType.F32, Shape.of(2))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void heapFloatArraySegmentsUseTheScalarPath() {
        float[] values = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17};
        Tensor t = new Tensor(DType.F32, Shape.of(values.length), MemorySegment.ofArray(values));
        Kernels.scale(2f, t);
        assertThat(values[16]).isEqualTo(34f);
        assertThat(Kernels.dot(t, t)).isEqualTo(4.0 * 17 * 18 * 35 / 6); // 4 x sum of k^2, k = 1..17
    }
}
