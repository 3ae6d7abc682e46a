package dev.evomerge.merge.exec;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.HugePages;
import dev.evomerge.core.tensor.Kernels;
import dev.evomerge.core.tensor.Tensor;
import dev.evomerge.core.tensor.TensorInfo;
import dev.evomerge.core.tensor.TensorSink;
import dev.evomerge.core.tensor.TensorSource;

import java.lang.foreign.Arena;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Merged weights kept in memory: one buffer per planned tensor, allocated once and overwritten by every merge
 * (the evolution loop's in-memory mode). As a {@link TensorSink} it copies (and converts) each tensor into its
 * buffer, or offers the buffer as the {@link #target} to merge into; as a {@link TensorSource} it serves the buffers
 * to an evaluator. Thread-safe for distinct names.
 */
public final class ResidentTensors implements TensorSink, TensorSource {

    private final Arena arena = Arena.ofShared();
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();
    private final Map<String, TensorInfo> infos = new LinkedHashMap<>();

    /** Buffers for the given tensors (e.g. {@code plan.outputs()}), zero-filled. */
    public ResidentTensors(List<TensorInfo> plan) {
        for (TensorInfo t : plan) {
            // in 2 MiB pages where large: every merge streams through all of them (HugePages)
            tensors.put(t.name(), new Tensor(t.dtype(), t.shape(),
                    HugePages.allocate(t.shape().numel() * t.dtype().byteSize(), arena)));
            infos.put(t.name(), t);
        }
    }

    @Override
    public void accept(String name, Tensor tensor) {
        Tensor dst = tensors.get(name);
        if (dst == null) {
            throw EvomergeException.usage("Tensor '" + name + "' is not one of the resident weights.");
        }
        if (!dst.shape().equals(tensor.shape())) {
            throw EvomergeException.usage("Tensor '" + name + "' has shape " + tensor.shape()
                    + " but the resident weight is " + dst.shape() + ".");
        }
        if (tensor.data().isNative() && tensor.data().address() == dst.data().address()
                && tensor.dtype() == dst.dtype()) {
            return; // merged in place (see target)
        }
        Kernels.convert(tensor, dst);
    }

    /** The resident buffer itself: a merge that writes every element there needs no copy. */
    @Override
    public Tensor target(String name) {
        return tensors.get(name);
    }

    /** Nothing to finish: merged values are visible as soon as {@link #accept} returns. */
    @Override
    public void commit() {
    }

    @Override
    public List<String> tensorNames() {
        return List.copyOf(tensors.keySet());
    }

    @Override
    public Optional<TensorInfo> info(String name) {
        return Optional.ofNullable(infos.get(name));
    }

    @Override
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw EvomergeException.usage("Tensor '" + name + "' is not one of the resident weights.");
        }
        return t;
    }

    @Override
    public String description() {
        return "resident merged weights (" + tensors.size() + " tensors)";
    }

    /** Frees the buffers. */
    @Override
    public void close() {
        arena.close();
    }
}
