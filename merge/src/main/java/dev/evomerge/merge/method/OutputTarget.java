package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.RowBlockTarget;
import dev.evomerge.core.tensor.Tensor;

import java.util.function.Supplier;

/**
 * The sink's memory for one output tensor ({@link MergeInputs#target}), which may also take the tensor's rows a block
 * at a time ({@link dev.evomerge.core.tensor.TensorSink#rowTarget}).
 */
public interface OutputTarget extends Supplier<Tensor> {

    /**
     * Where rows of {@code out} may be handed over instead of written into it: non-null only when {@code out} is the
     * tensor this target supplied and the sink takes rows in its dtype and shape.
     */
    RowBlockTarget rows(Tensor out);
}
