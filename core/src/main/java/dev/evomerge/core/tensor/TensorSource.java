package dev.evomerge.core.tensor;

import java.util.List;
import java.util.Optional;

/**
 * Named tensors to read: a safetensors file or directory, a resident model's weights, a test fixture.
 * Implementations return views without copying where they can (memory-mapped files).
 */
public interface TensorSource extends AutoCloseable {

    /** All tensor names, in storage order. */
    List<String> tensorNames();

    /** Metadata of one tensor, empty if absent. */
    Optional<TensorInfo> info(String name);

    /** The tensor's data; throws EvomergeException naming the tensor and source if absent. */
    Tensor tensor(String name);

    /** A short description for error messages (e.g. the directory path). */
    String description();

    @Override
    default void close() {
    }
}
