package dev.evomerge.engine.compute;

import dev.evomerge.core.tensor.FloatFormats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** C = A·Wᵀ (+bias) (+C) against a float64 loop, over shapes that exercise every tile and block edge. */
class GemmTest {

    @ParameterizedTest
    @CsvSource({
            "1, 1, 1, false, 1", "3, 47, 5, false, 2", "13, 97, 300, false, 2", "8, 48, 256, false, 1",
            "70, 100, 513, false, 2", "5, 200, 64, true, 2", "9, 60, 300, true, 1", "21, 49, 257, true, 1", "129, 96, 40, true, 2"})
    void matchesFloat64Reference(int m, int n, int k, boolean bf16, int threads) {
        SplittableRandom rnd = new SplittableRandom(m * 1000L + n * 10L + k);
        float[] a = new float[m * k];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        float[][] w = new float[n][k];
        PackedMatrix pw = PackedMatrix.zeros(n, k, bf16);
        for (int j = 0; j < n; j++) {
            for (int q = 0; q < k; q++) {
                w[j][q] = (float) rnd.nextGaussian();
                if (bf16) {
                    w[j][q] = FloatFormats.bf16ToFloat(FloatFormats.floatToBf16(w[j][q]));
                }
            }
            pw.setRow(j, w[j], 0);
        }
        float[] bias = new float[n];
        for (int j = 0; j < n; j++) {
            bias[j] = (float) rnd.nextGaussian();
        }
        int ldc = n + 3; // a wider output buffer: columns beyond n must stay untouched
        float[] c = new float[m * ldc];
        float[] c0 = new float[m * ldc];
        for (int i = 0; i < c.length; i++) {
            c[i] = (float) rnd.nextGaussian();
            c0[i] = c[i];
        }
        try (WorkerPool pool = new WorkerPool(threads)) {
            Gemm.multiply(pool, a, k, m, pw, bias, c, ldc, true);
        }
        for (int r = 0; r < m; r++) {
            for (int j = 0; j < ldc; j++) {
                if (j >= n) {
                    assertThat(c[r * ldc + j]).isEqualTo(c0[r * ldc + j]);
                    continue;
                }
                double s = c0[r * ldc + j] + (double) bias[j];
                double mag = Math.abs(c0[r * ldc + j]) + Math.abs(bias[j]);
                for (int q = 0; q < k; q++) {
                    s += (double) a[r * k + q] * w[j][q];
                    mag += Math.abs((double) a[r * k + q] * w[j][q]);
                }
                // float accumulation error bound: about k * 2^-24 * Σ|terms|
                assertThat((double) c[r * ldc + j]).isCloseTo(s, within(1e-6 * mag * Math.sqrt(k) + 1e-6));
            }
        }
    }

    @Test
    void overwriteModeIgnoresOldOutputAndRowsAreBatchIndependent() {
        SplittableRandom rnd = new SplittableRandom(3);
        int k = 300;
        int n = 100;
        float[] a = new float[11 * k];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        PackedMatrix pw = PackedMatrix.zeros(n, k, false);
        float[] row = new float[k];
        for (int j = 0; j < n; j++) {
            for (int q = 0; q < k; q++) {
                row[q] = (float) rnd.nextGaussian();
            }
            pw.setRow(j, row, 0);
        }
        float[] all = new float[11 * n];
        java.util.Arrays.fill(all, 99f);
        try (WorkerPool pool = new WorkerPool(2)) {
            Gemm.multiply(pool, a, k, 11, pw, null, all, n, false);
            for (int r = 0; r < 11; r++) {
                float[] one = new float[n];
                Gemm.multiply(pool, java.util.Arrays.copyOfRange(a, r * k, (r + 1) * k), k, 1, pw, null, one, n,
                        false);
                for (int j = 0; j < n; j++) {
                    // the same accumulation order whichever tile the row lands in: bit-identical
                    assertThat(all[r * n + j]).isEqualTo(one[j]);
                }
            }
        }
    }

    @Test
    void packedMatrixRoundTripsRows() {
        PackedMatrix m = PackedMatrix.zeros(50, 7, false);
        float[] src = {1, 2, 3, 4, 5, 6, 7};
        m.setRow(49, src, 0);
        float[] back = new float[7];
        m.getRow(49, back, 0);
        assertThat(back).containsExactly(src);
        assertThat(m.get(49, 6)).isEqualTo(7f);
        assertThat(m.get(48, 6)).isZero();
        PackedMatrix b = PackedMatrix.zeros(3, 2, true);
        b.setRow(1, new float[]{1.00390625f, -3f}, 0); // 1 + 2^-8 is a bf16 tie: rounds to even (1.0)
        assertThat(b.get(1, 0)).isEqualTo(1.0f);
        assertThat(b.get(1, 1)).isEqualTo(-3f);
    }
}
