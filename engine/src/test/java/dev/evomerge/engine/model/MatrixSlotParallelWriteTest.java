package dev.evomerge.engine.model;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;
import dev.evomerge.engine.compute.PackedMatrix;
import dev.evomerge.engine.compute.WorkerPool;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A bf16 slot written on several threads (a reload of 1.5 GB) holds exactly what a one-thread write holds, rows
 * outside the slot untouched, also when the slot starts and ends inside a panel (q, k and v share one matrix).
 */
class MatrixSlotParallelWriteTest {

    private static final ValueLayout.OfShort LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void aParallelWriteStoresWhatASerialWriteStores() {
        int rows = 1000;
        int cols = 1100;
        int rowOffset = 37; // not a multiple of any panel height
        int slotRows = 960; // about 1.06M values: more than two tasks' worth
        try (Arena arena = Arena.ofShared(); Arena confined = Arena.ofConfined(); WorkerPool pool = new WorkerPool(2)) {
            MemorySegment src = arena.allocate(2L * slotRows * cols);
            SplittableRandom random = new SplittableRandom(5);
            for (long i = 0; i < (long) slotRows * cols; i++) {
                src.set(LE, 2 * i, (short) random.nextInt(1 << 16));
            }
            Tensor t = new Tensor(DType.BF16, Shape.of(slotRows, cols), src);
            PackedMatrix serial = marked(rows, cols);
            PackedMatrix parallel = marked(rows, cols);
            PackedMatrix fromConfined = marked(rows, cols);
            new WeightSlot.MatrixSlot(serial, rowOffset, slotRows).write(t);
            new WeightSlot.MatrixSlot(parallel, rowOffset, slotRows).write(t, pool);
            // a confined tensor cannot be read by the pool's threads: written by the caller alone, same values
            MemorySegment own = confined.allocate(src.byteSize()).copyFrom(src);
            new WeightSlot.MatrixSlot(fromConfined, rowOffset, slotRows).write(
                    new Tensor(DType.BF16, Shape.of(slotRows, cols), own), pool);
            assertSameRows(parallel, serial);
            assertSameRows(fromConfined, serial);
            float[] row = new float[cols];
            serial.getRow(rowOffset - 1, row, 0);
            assertThat(row[0]).as("the row before the slot keeps its value").isEqualTo(-3f);
            serial.getRow(rowOffset + slotRows, row, 0);
            assertThat(row[cols - 1]).as("the row after the slot keeps its value").isEqualTo(-3f);
        }
    }

    /** A bf16 matrix whose every value is -3, so that a write outside the slot would show. */
    private static PackedMatrix marked(int rows, int cols) {
        PackedMatrix m = PackedMatrix.zeros(rows, cols, true);
        float[] row = new float[cols];
        java.util.Arrays.fill(row, -3f);
        for (int r = 0; r < rows; r++) {
            m.setRow(r, row, 0);
        }
        return m;
    }

    private static void assertSameRows(PackedMatrix got, PackedMatrix expected) {
        float[] g = new float[got.cols()];
        float[] e = new float[got.cols()];
        for (int r = 0; r < got.rows(); r++) {
            got.getRow(r, g, 0);
            expected.getRow(r, e, 0);
            for (int k = 0; k < g.length; k++) {
                if (Float.floatToRawIntBits(g[k]) != Float.floatToRawIntBits(e[k])) {
                    assertThat(g[k]).as("row " + r + ", column " + k).isEqualTo(e[k]);
                }
            }
        }
    }
}
