package dev.evomerge.engine.model;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Kernels;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;
import dev.evomerge.engine.compute.PackedMatrix;
import dev.evomerge.engine.compute.WorkerPool;

/**
 * Where one Hugging Face tensor lives inside the resident weights: a range of a float vector (norms, biases) or a
 * range of output rows of a packed matrix (q/k/v share one matrix, gate/up another). Writes convert from any float
 * dtype; reads return a float32 copy in the checkpoint's layout.
 */
public sealed interface WeightSlot {

    /** The checkpoint shape of the tensor. */
    Shape shape();

    /** Overwrites the slot with {@code t}'s values; the caller has checked the shape. */
    void write(Tensor t);

    /**
     * {@link #write(Tensor)} with the work spread over {@code pool}'s threads where the slot can split it (the same
     * values in the end).
     */
    default void write(Tensor t, WorkerPool pool) {
        write(t);
    }

    /** A float32 copy of the slot's values. */
    Tensor read();

    /** {@code length} floats of {@code data} from {@code offset}. */
    record VectorSlot(float[] data, int offset, int length) implements WeightSlot {
        @Override
        public Shape shape() {
            return Shape.of(length);
        }

        @Override
        public void write(Tensor t) {
            System.arraycopy(Kernels.toFloatArray(t), 0, data, offset, length);
        }

        @Override
        public Tensor read() {
            float[] v = new float[length];
            System.arraycopy(data, offset, v, 0, length);
            return Kernels.fromFloatArray(v, shape(), DType.F32);
        }
    }

    /** Output rows {@code rowOffset .. rowOffset+rows} of {@code matrix}. */
    record MatrixSlot(PackedMatrix matrix, int rowOffset, int rows) implements WeightSlot {

        /** Rows converted per step, bounding the temporary float[] to about 4 MiB. */
        private static final int BLOCK_ELEMENTS = 1 << 20;
        /** About the bf16 values one task of a parallel write packs (1 MiB of them): tasks balance, overhead stays small. */
        private static final long TASK_ELEMENTS = 1 << 19;
        /** A thread that owns no arena: who may read a tensor besides the caller. */
        private static final Thread ANOTHER_THREAD = Thread.ofVirtual().unstarted(() -> { });

        /**
         * bf16 rows are packed in tasks of whole panels ({@link PackedMatrix#NR} rows, counted from the matrix's
         * row 0), so no two tasks write the same panel: a reload of a 760M-parameter model packs 1.5 GB here, which
         * one thread did at about 1.2 GB/s.
         */
        @Override
        public void write(Tensor t, WorkerPool pool) {
            long elements = (long) rows * matrix.cols();
            // a tensor of a confined arena can be read by its own thread only
            if (t.dtype() != DType.BF16 || pool.threads() == 1 || elements < 2 * TASK_ELEMENTS
                    || !t.data().isAccessibleBy(ANOTHER_THREAD)) {
                write(t);
                return;
            }
            int nr = PackedMatrix.NR;
            int panelsPerTask = (int) Math.max(1, TASK_ELEMENTS / ((long) nr * matrix.cols()));
            int step = panelsPerTask * nr;
            int first = rowOffset / step * step; // task boundaries at multiples of step (whole panels)
            int end = rowOffset + rows;
            int tasks = (end - first + step - 1) / step;
            long rowBytes = 2L * matrix.cols();
            pool.forEach(tasks, i -> {
                int r0 = Math.max(rowOffset, first + i * step);
                int r1 = Math.min(end, first + (i + 1) * step);
                matrix.setRowsBf16(r0, r1 - r0, t.data().asSlice((r0 - rowOffset) * rowBytes, (r1 - r0) * rowBytes));
            });
        }

        @Override
        public Shape shape() {
            return Shape.of(rows, matrix.cols());
        }

        @Override
        public void write(Tensor t) {
            if (t.dtype() == DType.BF16) {
                // merged bf16 weights (the in-memory evolution's candidates) go in without a float copy
                matrix.setRowsBf16(rowOffset, rows, t.data());
                return;
            }
            int cols = matrix.cols();
            int block = Math.max(1, BLOCK_ELEMENTS / cols);
            long rowBytes = (long) cols * t.dtype().byteSize();
            for (int r0 = 0; r0 < rows; r0 += block) {
                int n = Math.min(block, rows - r0);
                Tensor slice = new Tensor(t.dtype(), Shape.of((long) n * cols),
                        t.data().asSlice(r0 * rowBytes, n * rowBytes));
                float[] values = Kernels.toFloatArray(slice);
                for (int r = 0; r < n; r++) {
                    matrix.setRow(rowOffset + r0 + r, values, r * cols);
                }
            }
        }

        @Override
        public Tensor read() {
            int cols = matrix.cols();
            float[] v = new float[Math.multiplyExact(rows, cols)];
            for (int r = 0; r < rows; r++) {
                matrix.getRow(rowOffset + r, v, r * cols);
            }
            return Kernels.fromFloatArray(v, shape(), DType.F32);
        }
    }
}
