package dev.evomerge.engine.compute;

import dev.evomerge.core.tensor.FloatFormats;

/**
 * A weight matrix W[rows=out][cols=in] (a Hugging Face Linear weight) stored for {@link Gemm}: output rows are grouped
 * in panels of {@link #NR} (the last panel zero-padded), and inside a panel the NR values of one input column are
 * contiguous, so the GEMM streams each panel front to back with whole-vector loads. Elements are float32, or bf16
 * bits (round-to-nearest-even on write) to halve memory.
 */
public final class PackedMatrix {

    /** Output rows per panel: three float vectors (the GEMM's register tile width). */
    public static final int NR = 3 * Simd.LANES;

    private final int rows;
    private final int cols;
    private final int panels;
    private final float[] f32;
    private final short[] bf16;

    private PackedMatrix(int rows, int cols, boolean bf16) {
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
        this.bf16 = bf16 ? new short[(int) n] : null;
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

    /** The bf16 storage (null for float32). */
    short[] bf16() {
        return bf16;
    }

    private int index(int row, int col) {
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
                bf16[base + k * NR] = FloatFormats.floatToBf16(src[off + k]);
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
                dst[off + k] = FloatFormats.bf16ToFloat(bf16[base + k * NR]);
            }
        }
    }

    public float get(int row, int col) {
        int i = index(row, col);
        return f32 != null ? f32[i] : FloatFormats.bf16ToFloat(bf16[i]);
    }

    /** Resident bytes. */
    public long byteSize() {
        return f32 != null ? 4L * f32.length : 2L * bf16.length;
    }
}
