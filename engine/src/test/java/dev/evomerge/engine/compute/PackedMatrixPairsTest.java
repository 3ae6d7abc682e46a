package dev.evomerge.engine.compute;

import dev.evomerge.core.tensor.FloatFormats;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

/**
 * The bf16 layout in column pairs: every element packed by {@link PackedMatrix#setRowsBf16} reads back through
 * {@link PackedMatrix#get} and {@link PackedMatrix#getRow} (odd and even column counts, row counts that are not a
 * multiple of a panel, vector blocks and scalar tails), and the GEMM over bf16 weights is bit-identical to the
 * GEMM over the float32 matrix of the same values.
 */
class PackedMatrixPairsTest {

    private static final ValueLayout.OfShort LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @ParameterizedTest
    @CsvSource({"50, 33, 0, 50, false", "50, 33, 0, 50, true", "100, 64, 5, 90, false", "100, 64, 5, 90, true",
            "97, 1, 0, 97, false", "49, 15, 1, 48, true", "130, 47, 16, 100, false", "130, 47, 16, 100, true",
            "200, 130, 33, 160, false", "17, 16, 0, 17, true", "96, 34, 48, 48, false",
            // 48 columns: one 32-column double block and one 16-column block
            "60, 50, 3, 50, false", "60, 50, 0, 60, true"})
    void everyPackedElementReadsBack(int rows, int cols, int row0, int n, boolean quiet) {
        SplittableRandom random = new SplittableRandom(rows * 131L + cols * 7L + row0);
        short[] bits = new short[n * cols];
        short[] special = {(short) 0x7F81, (short) 0xFF81, (short) 0x7FBF, (short) 0x7FC1, (short) 0x7F80,
                (short) 0xFF80, 0, (short) 0x8000, 1};
        for (int i = 0; i < bits.length; i++) {
            bits[i] = random.nextInt(8) == 0 ? special[random.nextInt(special.length)]
                    : (short) random.nextInt(1 << 16);
        }
        PackedMatrix m = PackedMatrix.zeros(rows, cols, true);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(2L * bits.length + 2);
            for (int i = 0; i < bits.length; i++) {
                src.set(LE, 2L * i, bits[i]);
            }
            m.setRowsBf16(row0, n, src, quiet);
        }
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            m.getRow(r, row, 0);
            for (int k = 0; k < cols; k++) {
                int expected = 0;
                if (r >= row0 && r < row0 + n) {
                    int h = bits[(r - row0) * cols + k] & 0xFFFF;
                    // a signalling NaN is made quiet unless the caller said the rows are quiet already
                    expected = (!quiet && (h & 0x7FFF) > 0x7F80 ? h | 0x40 : h) << 16;
                }
                assertThat(Float.floatToRawIntBits(m.get(r, k))).as("row %d col %d", r, k).isEqualTo(expected);
                assertThat(Float.floatToRawIntBits(row[k])).as("row %d col %d", r, k).isEqualTo(expected);
            }
            if (cols % 2 == 1) { // the padding column of the last pair stays zero: the GEMM reads it
                assertThat(m.bf16().get(ValueLayout.JAVA_SHORT, 2L * m.index(r, cols))).isZero();
            }
        }
        // where an element is: its pair's two values adjacent, the 48 rows' pairs contiguous
        assertThat(m.index(0, 0)).isZero();
        assertThat(m.index(0, cols - 1)).isEqualTo((cols - 1) / 2 * 2 * PackedMatrix.NR + (cols - 1) % 2);
        assertThat(m.index(1, 0)).isEqualTo(2);
        assertThat(m.byteSize()).isEqualTo(2L * m.panels() * PackedMatrix.NR * ((cols + 1) / 2 * 2));
    }

    @ParameterizedTest
    @CsvSource({"1, 49, 1, 1", "1, 96, 257, 2", "3, 48, 7, 1", "4, 60, 300, 1", "5, 100, 513, 2", "17, 49, 257, 1",
            "16, 96, 256, 2", "70, 50, 33, 2", "9, 144, 1536, 1"})
    void bf16GemmIsBitIdenticalToFloat32(int m, int n, int k, int threads) {
        SplittableRandom rnd = new SplittableRandom(m * 7919L + n * 31L + k);
        float[] a = new float[m * k];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        PackedMatrix bf16 = PackedMatrix.zeros(n, k, true);
        PackedMatrix f32 = PackedMatrix.zeros(n, k, false);
        float[] w = new float[k];
        for (int j = 0; j < n; j++) {
            for (int q = 0; q < k; q++) {
                w[q] = FloatFormats.bf16ToFloat(FloatFormats.floatToBf16((float) rnd.nextGaussian()));
            }
            bf16.setRow(j, w, 0);
            f32.setRow(j, w, 0);
        }
        float[] bias = new float[n];
        for (int j = 0; j < n; j++) {
            bias[j] = (float) rnd.nextGaussian();
        }
        float[] c = new float[m * n];
        for (int i = 0; i < c.length; i++) {
            c[i] = (float) rnd.nextGaussian();
        }
        float[] fromBf16 = c.clone();
        float[] fromF32 = c.clone();
        try (WorkerPool pool = new WorkerPool(threads)) {
            Gemm.multiply(pool, a, k, m, bf16, bias, fromBf16, n, true);
            Gemm.multiply(pool, a, k, m, f32, bias, fromF32, n, true);
        }
        int[] got = new int[c.length];
        int[] expected = new int[c.length];
        for (int i = 0; i < c.length; i++) {
            got[i] = Float.floatToRawIntBits(fromBf16[i]);
            expected[i] = Float.floatToRawIntBits(fromF32[i]);
        }
        assertThat(got).containsExactly(expected);
        // and the sums are real ones: the first element against a float64 sum
        double s = c[0] + (double) bias[0];
        for (int q = 0; q < k; q++) {
            s += (double) a[q] * bf16.get(0, q);
        }
        assertThat((double) fromBf16[0]).isCloseTo(s, offset(1e-3 * (1 + Math.sqrt(k))));
    }
}
