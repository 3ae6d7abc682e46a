package dev.evomerge.core.tensor;

/**
 * Where merged tensors go: a safetensors directory being written, or a resident model's weights.
 * {@link #commit()} makes the result visible; closing without committing discards it.
 */
public interface TensorSink extends AutoCloseable {

    /** Stores one tensor under its name; the sink may convert it to its own dtype. */
    void accept(String name, Tensor tensor);

    /** Finishes the output (renames a temporary directory into place). */
    void commit();

    /** Discards anything not committed. */
    @Override
    void close();
}
