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

/** {@link PackedMatrix#setRowsBf16} stores exactly what {@link PackedMatrix#setRow} stores from the widened floats. */
class PackedMatrixBf16RowsTest {

    private static final ValueLayout.OfShort LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @ParameterizedTest
    @CsvSource({"true, 100, 70, 3, 91", "false, 100, 70, 3, 91", "true, 49, 130, 0, 49", "false, 7, 64, 2, 4",
            "true, 3 , 1, 0, 3", "true, 200, 96, 48, 150", "true, 64, 32, 0, 64", "true, 300, 90, 17, 283"})
    void bf16RowsAreStoredAsTheirFloatWideningIs(boolean bf16, int rows, int cols, int row0, int n) {
        SplittableRandom random = new SplittableRandom(rows * 31L + cols);
        short[] bits = new short[n * cols];
        for (int i = 0; i < bits.length; i++) {
            bits[i] = (short) random.nextInt(1 << 16);
        }
        // the special values: signalling and quiet NaNs with payloads of both signs, infinities, signed zeros
        short[] special = {(short) 0x7F81, (short) 0xFF81, (short) 0x7FC1, (short) 0xFFBF, (short) 0x7F80,
                (short) 0xFF80, 0, (short) 0x8000, 1, (short) 0x8001};
        for (int i = 0; i < bits.length; i += 1 + random.nextInt(40)) {
            bits[i] = special[random.nextInt(special.length)];
        }
        PackedMatrix expected = PackedMatrix.zeros(rows, cols, bf16);
        PackedMatrix got = PackedMatrix.zeros(rows, cols, bf16);
        float[] row = new float[cols];
        for (int r = 0; r < n; r++) {
            for (int k = 0; k < cols; k++) {
                row[k] = FloatFormats.bf16ToFloat(bits[r * cols + k]);
            }
            expected.setRow(row0 + r, row, 0);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(2L * bits.length + 2);
            for (int i = 0; i < bits.length; i++) {
                src.set(LE, 2L * i, bits[i]);
            }
            got.setRowsBf16(row0, n, src);
        }
        if (bf16) {
            assertThat(got.bf16().mismatch(expected.bf16())).isEqualTo(-1L);
        } else {
            // raw bits: a float NaN's payload must survive too
            int[] e = new int[expected.f32().length];
            int[] g = new int[e.length];
            for (int i = 0; i < e.length; i++) {
                e[i] = Float.floatToRawIntBits(expected.f32()[i]);
                g[i] = Float.floatToRawIntBits(got.f32()[i]);
            }
            assertThat(g).containsExactly(e);
        }
        // rows outside [row0, row0+n) stay zero
        for (int r = 0; r < rows; r++) {
            if (r < row0 || r >= row0 + n) {
                for (int k = 0; k < cols; k++) {
                    assertThat(Float.floatToRawIntBits(got.get(r, k))).isZero();
                }
            }
        }
    }

    /**
     * Rows already encoded with quiet NaNs (as the merge kernels hand them over) stored with {@code quiet} set: the
     * same panels as the NaN-quieting path, and the bits are copied as they are (a signalling NaN passed anyway
     * stays signalling, which shows that no NaN test ran).
     */
    @ParameterizedTest
    @CsvSource({"100, 70, 3, 91", "200, 96, 48, 150", "64, 32, 0, 64", "300, 90, 17, 283", "3, 1, 0, 3"})
    void quietRowsAreCopiedAsTheyAre(int rows, int cols, int row0, int n) {
        SplittableRandom random = new SplittableRandom(rows * 17L + cols);
        short[] bits = new short[n * cols];
        short[] quietNaNs = {(short) 0x7FC1, (short) 0xFFFF, (short) 0x7FC0, (short) 0x7F80, (short) 0x8000, 0};
        for (int i = 0; i < bits.length; i++) {
            short h = (short) random.nextInt(1 << 16);
            bits[i] = (h & 0x7FFF) > 0x7F80 ? (short) (h | 0x40) : h;
            if (random.nextInt(20) == 0) {
                bits[i] = quietNaNs[random.nextInt(quietNaNs.length)];
            }
        }
        PackedMatrix expected = PackedMatrix.zeros(rows, cols, true);
        PackedMatrix got = PackedMatrix.zeros(rows, cols, true);
        PackedMatrix signalling = PackedMatrix.zeros(rows, cols, true);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(2L * bits.length + 2);
            for (int i = 0; i < bits.length; i++) {
                src.set(LE, 2L * i, bits[i]);
            }
            expected.setRowsBf16(row0, n, src, false);
            got.setRowsBf16(row0, n, src, true);
            // one signalling NaN in a vector-transposed block (when there is one) and one in the last column
            int last = n * cols - 1;
            src.set(LE, 0, (short) 0x7F81);
            src.set(LE, 2L * last, (short) 0xFF82);
            signalling.setRowsBf16(row0, n, src, true);
            assertThat(signalling.bf16().get(ValueLayout.JAVA_SHORT, 2L * signalling.index(row0, 0)))
                    .isEqualTo((short) 0x7F81);
            assertThat(signalling.bf16().get(ValueLayout.JAVA_SHORT,
                    2L * signalling.index(row0 + last / cols, last % cols))).isEqualTo((short) 0xFF82);
        }
        assertThat(got.bf16().mismatch(expected.bf16())).isEqualTo(-1L);
    }
}
