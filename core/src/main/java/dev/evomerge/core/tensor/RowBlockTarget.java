package dev.evomerge.core.tensor;

import java.lang.foreign.MemorySegment;

/**
 * A 2-D tensor's final home that takes its rows a block at a time, for a sink that keeps the tensor in another
 * layout than row-major (the engine's packed GEMM panels): a producer computes rows {@code [row0, row0+n)} into a
 * small row-major scratch of its own, which is still in cache when it hands it over, instead of writing the whole
 * tensor row-major and having the sink read it back from memory in a second pass.
 */
public interface RowBlockTarget {

    /** The dtype the rows are handed over in. */
    DType dtype();

    /** Rows x columns of the whole tensor. */
    Shape shape();

    /** Rows per block the target stores best (a producer hands over blocks starting at multiples of it). */
    int blockRows();

    /**
     * Stores rows {@code [row0, row0+n)} from {@code rows}: {@code n} rows of {@code shape().dim(1)} elements of
     * {@link #dtype()}, row-major, little-endian. May be called from several threads at once for distinct rows.
     */
    void putRows(int row0, int n, MemorySegment rows);

    /**
     * {@link #putRows}, for bf16 rows whose NaNs already carry the quiet bit (the encoding of the merge kernels,
     * as {@code FloatFormats.floatToBf16}): a target that would set it on the way may copy the bits as they are.
     * Any other rows must go through {@link #putRows}.
     */
    default void putQuietRows(int row0, int n, MemorySegment rows) {
        putRows(row0, n, rows);
    }
}
