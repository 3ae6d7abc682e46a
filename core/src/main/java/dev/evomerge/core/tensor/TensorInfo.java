package dev.evomerge.core.tensor;

/** What is known about a stored tensor without reading its data. */
public record TensorInfo(String name, DType dtype, Shape shape) {

    public long byteSize() {
        return Math.multiplyExact(shape.numel(), (long) dtype.byteSize());
    }
}
