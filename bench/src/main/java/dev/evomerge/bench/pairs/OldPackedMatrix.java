package dev.evomerge.bench.pairs;

import dev.evomerge.engine.compute.Simd;

import dev.evomerge.core.io.HugePages;
import dev.evomerge.core.tensor.FloatFormats;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * <b>The engine's code before bf16 panels stored column pairs (kept for PairsBench's old-vs-new comparison only;
 * nothing else uses it).</b>
 *
 * <p>A weight matrix W[rows=out][cols=in] (a Hugging Face Linear weight) stored for {@link OldGemm}: output rows are grouped
 * in panels of {@link #NR} (the last panel zero-padded), and inside a panel the NR values of one input column are
 * contiguous, so the GEMM streams each panel front to back with whole-vector loads. Elements are float32, or bf16
 * bits (round-to-nearest-even on write) to halve memory.
 *
 * <p>bf16 weights live off the Java heap (native memory freed when the matrix is no longer reachable): they are the
 * resident model (1.5 GB at 760M parameters) and live as long as it, so on the heap they only made every garbage
 * collection's old generation larger, and G1 sized the heap as a multiple of them while an evaluation made its
 * garbage (docs/benchmarks.md, "In-memory candidates at real size").
 */
public final class OldPackedMatrix {

    /** Output rows per panel: three float vectors (the GEMM's register tile width). */
    public static final int NR = 3 * Simd.LANES;

    private final int rows;
    private final int cols;
    private final int panels;
    private final float[] f32;
    /** bf16 bits in native byte order, off the heap. */
    private final MemorySegment bf16;

    private OldPackedMatrix(int rows, int cols, boolean bf16) {
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("matrix dimensions must be positive: " + rows + " x " + cols);
        }
        this.rows = rows;
        this.cols = cols;
        this.panels = (rows + NR - 1) / NR;
        long n = (long) panels * NR * cols;
        if (n > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("matrix " + rows + " x " + cols + " is too large for one array");
        }
        this.f32 = bf16 ? null : new float[(int) n];
        // in 2 MiB pages where large: an in-memory merge rewrites every panel per candidate (HugePages)
        this.bf16 = bf16 ? HugePages.allocate(2 * n, Arena.ofAuto()) : null;
    }

    /** A zero matrix of rows x cols; bf16 storage when {@code bf16}. */
    public static OldPackedMatrix zeros(int rows, int cols, boolean bf16) {
        return new OldPackedMatrix(rows, cols, bf16);
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

    /** The bf16 storage (null for float32): element i at byte 2i, native byte order. */
    MemorySegment bf16() {
        return bf16;
    }

    int index(int row, int col) {
        return ((row / NR) * cols + col) * NR + row % NR;
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
                bf16.setAtIndex(BITS, base + (long) k * NR, FloatFormats.floatToBf16(src[off + k]));
            }
        }
    }

    /** Columns copied per step of {@link #setRowsBf16}: a panel's block of them (6 KiB of bf16) stays in L1. */
    private static final int COLUMN_BLOCK = 64;
    private static final ValueLayout.OfShort BF16_BITS = ValueLayout.JAVA_SHORT_UNALIGNED
            .withOrder(ByteOrder.LITTLE_ENDIAN);
    /** The layout of the bf16 storage. */
    private static final ValueLayout.OfShort BITS = ValueLayout.JAVA_SHORT;

    /**
     * Overwrites output rows {@code row0 .. row0+n} with the bf16 values of {@code src}, {@code n} rows of
     * {@code cols} little-endian bf16 bits each, without a float copy: the same values {@link #setRow} stores from
     * their float widening (bf16 storage keeps the bits, a NaN made quiet as {@link FloatFormats#floatToBf16} does;
     * float32 storage widens). Rows are copied a panel and a block of columns at a time, so that the scattered
     * writes of one block land in the same few cache lines.
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
        short[] line = new short[COLUMN_BLOCK];
        short[] tile = new short[OldBf16Transpose.B * OldBf16Transpose.B];
        int end = row0 + n;
        boolean blocks = bf16 != null && OldBf16Transpose.ENABLED && NR % OldBf16Transpose.B == 0;
        int b = OldBf16Transpose.B;
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
                // the blocks of a panel's rows side by side first: together they fill whole column runs of NR
                // values, so every cache line of the panel is written completely at once
                for (int k0 = 0; k0 < vectorColumns; k0 += b) {
                    for (int g = g0; g < g1; g += b) {
                        OldBf16Transpose.block(src, 2L * ((long) (g - row0) * cols + k0), 2L * cols, bf16, index(g, k0),
                                NR, tile, quiet);
                    }
                }
            }
            for (int k0 = 0; k0 < cols; k0 += COLUMN_BLOCK) {
                int kn = Math.min(COLUMN_BLOCK, cols - k0);
                for (int r = r0; r < r1; r++) {
                    if (r >= g0 && r < g1) {
                        if (k0 + kn <= vectorColumns) {
                            continue; // packed by the blocks above
                        }
                    }
                    MemorySegment.copy(src, BF16_BITS, 2L * ((long) (r - row0) * cols + k0), line, 0, kn);
                    int base = index(r, k0);
                    if (bf16 != null) {
                        for (int k = 0; k < kn; k++) {
                            int h = line[k];
                            // a NaN (exponent all ones, mantissa not zero) gets its quiet bit, as floatToBf16 sets it
                            bf16.setAtIndex(BITS, base + (long) k * NR,
                                    (short) (!quiet && (h & 0x7FFF) > 0x7F80 ? h | 0x40 : h));
                        }
                    } else {
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
                dst[off + k] = FloatFormats.bf16ToFloat(bf16.getAtIndex(BITS, base + (long) k * NR));
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
