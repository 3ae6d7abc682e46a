package dev.evomerge.engine.infer;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.RowBlockTarget;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.engine.compute.PackedMatrix;
import dev.evomerge.engine.model.WeightSlot;

import java.lang.foreign.MemorySegment;
import java.util.BitSet;

/**
 * A bf16 resident weight matrix's rows as a merge hands them over a block at a time (see {@link RowBlockTarget}):
 * each block is packed into the GEMM's panels while the merge's scratch still holds it in cache, so a merged matrix
 * is written once, packed, instead of row-major into a buffer and then read back to pack it. Remembers which rows
 * arrived, so that the sink's accept knows the matrix is complete and copies nothing.
 */
final class PackedRows implements RowBlockTarget {

    private final WeightSlot.MatrixSlot slot;
    private final BitSet arrived;

    PackedRows(WeightSlot.MatrixSlot slot) {
        this.slot = slot;
        this.arrived = new BitSet(slot.rows());
    }

    @Override
    public DType dtype() {
        return DType.BF16;
    }

    @Override
    public Shape shape() {
        return slot.shape();
    }

    /**
     * A panel of output rows, whose block of 32 columns is 48 contiguous cache lines of the panel; or, for rows of
     * more than {@link #WIDE_ROW} columns, 16 rows (on 512-bit vectors a third of a panel; 16 rows of a column pair
     * are one whole line, so such a block still fills whole lines): the merge's scratch for a block then stays near
     * 128 KiB and in the core's L2 until it is packed. Measured on the 760M re-merge's shapes (two threads,
     * task_arithmetic into panels): 4096-column rows in blocks of 16 rows 0.178 s against 0.194-0.202 s in blocks of
     * 48; 1536-column rows the other way round (docs/benchmarks.md, "Panel lines stored whole").
     */
    @Override
    public int blockRows() {
        return slot.shape().dim(1) > WIDE_ROW && PackedMatrix.NR % LINE_ROWS == 0 ? LINE_ROWS : PackedMatrix.NR;
    }

    /** Columns above which {@link #blockRows} is {@link #LINE_ROWS} (a 48-row block's scratch would pass 192 KiB). */
    static final int WIDE_ROW = 2048;
    /** Rows of one 64-byte line of a bf16 panel (16 rows of a column pair). */
    private static final int LINE_ROWS = 16;

    @Override
    public void putRows(int row0, int n, MemorySegment rows) {
        put(row0, n, rows, false);
    }

    /** The merge kernels' rows are quiet already: packed without looking for NaNs. */
    @Override
    public void putQuietRows(int row0, int n, MemorySegment rows) {
        put(row0, n, rows, true);
    }

    private void put(int row0, int n, MemorySegment rows, boolean quiet) {
        if (row0 < 0 || n < 0 || row0 + n > slot.rows()) {
            throw new IllegalArgumentException("rows " + row0 + ".." + (row0 + n) + " of a " + slot.rows()
                    + "-row weight");
        }
        slot.matrix().setRowsBf16(slot.rowOffset() + row0, n, rows, quiet);
        synchronized (arrived) {
            arrived.set(row0, row0 + n);
        }
    }

    /** Whether every row has been put. */
    boolean complete() {
        synchronized (arrived) {
            return arrived.cardinality() == slot.rows();
        }
    }
}
