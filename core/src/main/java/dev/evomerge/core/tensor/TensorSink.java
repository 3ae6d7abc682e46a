package dev.evomerge.core.tensor;

/**
 * Where merged tensors go: a safetensors directory being written, or a resident model's weights.
 * {@link #commit()} makes the result visible; closing without committing discards it.
 */
public interface TensorSink extends AutoCloseable {

    /** Stores one tensor under its name; the sink may convert it to its own dtype. */
    void accept(String name, Tensor tensor);

    /**
     * The memory that will hold tensor {@code name}'s final bytes, in the sink's dtype and shape for it, for a producer
     * that writes every element straight into it and then passes it to {@link #accept}, which then copies nothing.
     * Null when the sink cannot offer such memory (the default) or the tensor is already written. Its contents are
     * unspecified until written; a target that is never accepted is released by {@link #close()}.
     */
    default Tensor target(String name) {
        return null;
    }

    /**
     * For a producer that has taken {@link #target} for tensor {@code name} and can compute it a block of rows at a
     * time: where to hand those rows over, when the sink keeps the tensor in a layout of its own (null, the default,
     * otherwise). A producer that stored every row through it passes the untouched target to {@link #accept}, which
     * then copies nothing.
     */
    default RowBlockTarget rowTarget(String name) {
        return null;
    }

    /** Finishes the output (renames a temporary directory into place). */
    void commit();

    /** Discards anything not committed. */
    @Override
    void close();
}
