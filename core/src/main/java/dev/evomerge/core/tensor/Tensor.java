package dev.evomerge.core.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A dense tensor: dtype, shape and little-endian row-major data in a {@link MemorySegment}
 * (off-heap, possibly a memory-mapped file region). The segment's size is exactly numel x dtype size.
 * Element access by flat index converts through float/double; bulk work goes through {@link Kernels}. Two tensors
 * are equal when they are views of the same memory with the same dtype and shape (contents are not compared).
 */
public record Tensor(DType dtype, Shape shape, MemorySegment data) {

    public Tensor {
        long expected = Math.multiplyExact(shape.numel(), (long) dtype.byteSize());
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("tensor data has " + data.byteSize() + " bytes, shape " + shape
                    + " x " + dtype + " needs " + expected);
        }
    }

    /** A zero-filled tensor in the given arena (use a shared or auto arena for multi-threaded kernels). */
    public static Tensor allocate(DType dtype, Shape shape, Arena arena) {
        long bytes = Math.multiplyExact(shape.numel(), (long) dtype.byteSize());
        return new Tensor(dtype, shape, arena.allocate(bytes, 64));
    }

    /** A tensor in an automatically managed arena (freed when unreachable). */
    public static Tensor allocate(DType dtype, Shape shape) {
        return allocate(dtype, shape, Arena.ofAuto());
    }

    public long numel() {
        return shape.numel();
    }

    public long byteSize() {
        return data.byteSize();
    }

    /** Element i as float (exact for F32/F16/BF16 and small integers). */
    public float getFloat(long i) {
        return ScalarAccess.getFloat(dtype, data, i);
    }

    /** Element i as double (exact for every dtype except I64 beyond 2^53). */
    public double getDouble(long i) {
        return ScalarAccess.getDouble(dtype, data, i);
    }

    /**
     * Stores v at element i, rounding to nearest even for F16/BF16; integers truncate toward zero and keep the low
     * bits, BOOL stores v != 0.
     */
    public void setFloat(long i, float v) {
        ScalarAccess.setFloat(dtype, data, i, v);
    }

    /** Stores v at element i with one rounding from double to this dtype. */
    public void setDouble(long i, double v) {
        ScalarAccess.setDouble(dtype, data, i, v);
    }

    /** Element i as long: exact for integer types (U8 zero-extends); float types truncate toward zero. */
    public long getLong(long i) {
        return ScalarAccess.getLong(dtype, data, i);
    }

    /** Stores v at element i: integer types keep the low bits, float types round once to nearest even. */
    public void setLong(long i, long v) {
        ScalarAccess.setLong(dtype, data, i, v);
    }

    /** A new F32 copy of this tensor (always a copy, so the caller may write to it); see {@link Kernels#convert}. */
    public Tensor toF32() {
        return Kernels.convert(this, DType.F32);
    }

    /** Same data reinterpreted with another shape of equal element count. */
    public Tensor reshape(Shape newShape) {
        return new Tensor(dtype, newShape, data);
    }

    @Override
    public String toString() {
        return "Tensor[" + dtype + " " + shape + "]";
    }
}
