package dev.evomerge.merge.exec;

import dev.evomerge.core.tensor.RowBlockTarget;
import dev.evomerge.core.tensor.Tensor;
import dev.evomerge.core.tensor.TensorSink;
import dev.evomerge.merge.method.OutputTarget;

/** One tensor's memory in a {@link TensorSink}, offered to the merge method that computes it. Used by one job. */
final class SinkOutput implements OutputTarget {

    private final TensorSink sink;
    private final String name;
    private Tensor supplied;

    SinkOutput(TensorSink sink, String name) {
        this.sink = sink;
        this.name = name;
    }

    @Override
    public Tensor get() {
        supplied = sink.target(name);
        return supplied;
    }

    @Override
    public RowBlockTarget rows(Tensor out) {
        if (supplied == null || out != supplied) {
            return null;
        }
        RowBlockTarget rows = sink.rowTarget(name);
        return rows != null && rows.dtype() == out.dtype() && rows.shape().equals(out.shape()) ? rows : null;
    }
}
