package dev.evomerge.engine.model;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Kernels;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;
import dev.evomerge.engine.compute.PackedMatrix;

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
