package dev.evomerge.engine.compute;

import dev.evomerge.core.io.HugePages;
import dev.evomerge.core.tensor.FloatFormats;
import dev.evomerge.core.tensor.NativeMemory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A weight matrix W[rows=out][cols=in] (a Hugging Face Linear weight) stored for {@link Gemm}: output rows are grouped
 * in panels of {@link #NR} (the last panel zero-padded), and inside a panel the NR values of one input column are
 * contiguous, so the GEMM streams each panel front to back with whole-vector loads. Elements are float32, or bf16
 * bits (round-to-nearest-even on write) to halve memory.
 *
 * <p>bf16 panels keep each row's column pairs together: the two values of columns 2q and 2q+1 of a row are one 32-bit
 * unit (the even column in its low half), and the NR rows' units of pair q are contiguous, so element (row, col) is
 * short {@code ((panel * pairs + col / 2) * NR + row % NR) * 2 + col % 2} with {@code pairs = ceil(cols / 2)} (an
 * odd column count pads a zero column). Two reasons: a 16 x 16 block of row-major bf16 is a 16 x 8 block of 32-bit
 * units, which packs as two 8 x 8 dword transposes whose 32-byte stores fill whole cache lines (48 dword permutes
 * against 64 word permutes, {@link Bf16Transpose}); and the GEMM widens a unit's two columns with one operation each
 * (a shift for the low half, a mask for the high half) instead of a zero-extension and a shift.
 *
 * <p>bf16 weights live off the Java heap (native memory freed when the matrix is no longer reachable): they are the
 * resident model (1.5 GB at 760M parameters) and live as long as it, so on the heap they only made every garbage
 * collection's old generation larger, and G1 sized the heap as a multiple of them while an evaluation made its
 * garbage (docs/benchmarks.md, "In-memory candidates at real size").
 */
public final class PackedMatrix {

    /** Output rows per panel: three float vectors (the GEMM's register tile width). */
    public static final int NR = 3 * Simd.LANES;

    private final int rows;
    private final int cols;
    private final int panels;
    /** Column pairs of the bf16 layout. */
    private final int pairs;
    private final float[] f32;
    /** bf16 bits (little-endian), off the heap, in column pairs. */
    private final MemorySegment bf16;

    private PackedMatrix(int rows, int cols, boolean bf16) {
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("matrix dimensions must be positive: " + rows + " x " + cols);
        }
        this.rows = rows;
        this.cols = cols;
        this.panels = (rows + NR - 1) / NR;
        this.pairs = (cols + 1) / 2;
        long n = (long) panels * NR * (bf16 ? 2L * pairs : cols);
        if (n > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("matrix " + rows + " x " + cols + " is too large for one array");
        }
        this.f32 = bf16 ? null : new float[(int) n];
        // in 2 MiB pages where large: an in-memory merge rewrites every panel per candidate (HugePages)
        this.bf16 = bf16 ? HugePages.allocate(2 * n, Arena.ofAuto()) : null;
    }

    /** A zero matrix of rows x cols; bf16 storage when {@code bf16}. */
    public static PackedMatrix zeros(int rows, int cols, boolean bf16) {
        return new PackedMatrix(rows, cols, bf16);
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public int panels() {
        return panels;
    }

    public boolean isBf16() {
        return bf16 != null;
    }

    /** The float32 storage (null for bf16). */
    float[] f32() {
        return f32;
    }

    /** The bf16 storage (null for float32): element i at byte 2i, little-endian, laid out as {@link #index} says. */
    MemorySegment bf16() {
        return bf16;
    }

    /** Column pairs of the bf16 layout: a panel holds {@code pairs * 2 * NR} shorts. */
    int pairs() {
        return pairs;
    }

    /** Where element (row, col) is in the storage: in {@link #f32()}, or in shorts of {@link #bf16()}. */
    int index(int row, int col) {
        if (bf16 == null) {
            return ((row / NR) * cols + col) * NR + row % NR;
        }
        return (((row / NR) * pairs + (col >> 1)) * NR + row % NR) * 2 + (col & 1);
    }

    /** The bf16 short of column {@code k} of the row whose column 0 is at {@code base}. */
    private static long pairOffset(int base, int k) {
        return base + (long) (k >> 1) * (2 * NR) + (k & 1);
    }

    /** Overwrites output row {@code row} with {@code src[off..off+cols)}. */
    public void setRow(int row, float[] src, int off) {
        int base = index(row, 0);
        if (f32 != null) {
            for (int k = 0; k < cols; k++) {
                f32[base + k * NR] = src[off + k];
            }
        } else {
            for (int k = 0; k < cols; k++) {
                bf16.setAtIndex(BITS, pairOffset(base, k), FloatFormats.floatToBf16(src[off + k]));
            }
        }
    }

    /** Columns copied per step of {@link #setRowsBf16}: a panel's block of them (6 KiB of bf16) stays in L1. */
    private static final int COLUMN_BLOCK = 64;
    private static final ValueLayout.OfShort BF16_BITS = ValueLayout.JAVA_SHORT_UNALIGNED
            .withOrder(ByteOrder.LITTLE_ENDIAN);
    /**
     * The layout of the bf16 storage: little-endian whatever the platform, so that a column pair read as one
     * little-endian int has the even column in its low half (the GEMM reads them so).
     */
    private static final ValueLayout.OfShort BITS = ValueLayout.JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * Overwrites output rows {@code row0 .. row0+n} with the bf16 values of {@code src}, {@code n} rows of
     * {@code cols} little-endian bf16 bits each, without a float copy: the same values {@link #setRow} stores from
     * their float widening (bf16 storage keeps the bits, a NaN made quiet as {@link FloatFormats#floatToBf16} does;
     * float32 storage widens). Rows are copied a panel and a block of columns at a time, so that the scattered
     * writes of one block land in the same few cache lines; into bf16 storage 16 x 16 blocks go through vector
     * transposes ({@link Bf16Transpose}), the rest element by element.
     */
    public void setRowsBf16(int row0, int n, MemorySegment src) {
        setRowsBf16(row0, n, src, false);
    }

    /**
     * {@link #setRowsBf16(int, int, MemorySegment)}, where {@code quiet} says that every NaN of {@code src} already
     * has its quiet bit (bf16 encoded as {@link FloatFormats#floatToBf16} encodes, as the merge kernels do): the bits
     * are then stored as they are, without the per-element NaN test (which cost about a third of a transpose's
     * vector operations). Rows with signaling NaNs must be passed with {@code quiet} false.
     */
    public void setRowsBf16(int row0, int n, MemorySegment src, boolean quiet) {
        if (row0 < 0 || n < 0 || row0 + n > rows || src.byteSize() < 2L * n * cols) {
            throw new IllegalArgumentException("rows " + row0 + ".." + (row0 + n) + " of " + rows + " x " + cols
                    + " from " + src.byteSize() + " bytes");
        }
        short[] line = null; // for the columns and rows the vector blocks do not cover, if any
        int end = row0 + n;
        boolean blocks = bf16 != null && Bf16Transpose.ENABLED && NR % Bf16Transpose.B == 0 && src.isNative();
        // the transposes read and write at addresses (see NativeMemory): the whole ranges checked here, once; a heap
        // source (no caller passes one: merges and loads hand over native memory) takes the element loop below
        long from = blocks ? NativeMemory.address(src, 0, 2L * n * cols) : 0;
        long to = blocks ? NativeMemory.address(bf16, 0, bf16.byteSize()) : 0;
        int b = Bf16Transpose.B;
        for (int p0 = row0 - row0 % NR; p0 < end; p0 += NR) {
            int r0 = Math.max(p0, row0);
            int r1 = Math.min(p0 + NR, end);
            // whole 16 x 16 blocks of rows in [r0, r1) by vector transposes; their last columns, and rows outside
            // whole blocks, below
            int vectorColumns = 0;
            int g0 = r0;
            int g1 = r0;
            if (blocks) {
                g0 = p0 + (r0 - p0 + b - 1) / b * b;
                g1 = Math.max(g0, p0 + (r1 - p0) / b * b);
                vectorColumns = cols / b * b;
                // a block starts on an even column (a pair) and on a multiple of 16 rows in the panel: its eight
                // pairs of 16 rows are eight whole 64-byte lines of the panel
                if (g1 > g0) {
                    Bf16Transpose.pack(from + 2L * (g0 - row0) * cols, 2L * cols, to + 2L * index(g0, 0), 4L * NR,
                            (g1 - g0) / b, vectorColumns, quiet);
                }
            }
            for (int k0 = 0; k0 < cols; k0 += COLUMN_BLOCK) {
                int kn = Math.min(COLUMN_BLOCK, cols - k0);
                for (int r = r0; r < r1; r++) {
                    // the columns the blocks above packed are skipped
                    int k1 = r >= g0 && r < g1 ? Math.max(k0, vectorColumns) : k0;
                    if (k1 >= k0 + kn) {
                        continue;
                    }
                    if (line == null) {
                        line = new short[COLUMN_BLOCK];
                    }
                    MemorySegment.copy(src, BF16_BITS, 2L * ((long) (r - row0) * cols + k0), line, 0, kn);
                    if (bf16 != null) {
                        int base = index(r, 0);
                        for (int k = k1 - k0; k < kn; k++) {
                            int h = line[k];
                            // a NaN (exponent all ones, mantissa not zero) gets its quiet bit, as floatToBf16 sets it
                            bf16.setAtIndex(BITS, pairOffset(base, k0 + k),
                                    (short) (!quiet && (h & 0x7FFF) > 0x7F80 ? h | 0x40 : h));
                        }
                    } else {
                        int base = index(r, k0);
                        for (int k = 0; k < kn; k++) {
                            f32[base + k * NR] = Float.intBitsToFloat(line[k] << 16);
                        }
                    }
                }
            }
        }
    }

    /** Copies output row {@code row} into {@code dst[off..off+cols)}. */
    public void getRow(int row, float[] dst, int off) {
        int base = index(row, 0);
        if (f32 != null) {
            for (int k = 0; k < cols; k++) {
                dst[off + k] = f32[base + k * NR];
            }
        } else {
            for (int k = 0; k < cols; k++) {
                dst[off + k] = FloatFormats.bf16ToFloat(bf16.getAtIndex(BITS, pairOffset(base, k)));
            }
        }
    }

    public float get(int row, int col) {
        int i = index(row, col);
        return f32 != null ? f32[i] : FloatFormats.bf16ToFloat(bf16.getAtIndex(BITS, i));
    }

    /** Resident bytes. */
    public long byteSize() {
        return f32 != null ? 4L * f32.length : bf16.byteSize();
    }
}
