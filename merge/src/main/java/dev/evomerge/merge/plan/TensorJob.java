package dev.evomerge.merge.plan;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.TensorInfo;
import dev.evomerge.merge.config.ModelReference;

import java.util.List;

/**
 * One output tensor of a plan: which model tensors feed it, in mergekit's input order, and where its parameters are
 * looked up (slice and {@code t}).
 *
 * @param index      position in execution (and output file) order
 * @param name       output tensor name
 * @param part       pre-layer, layer or post-layer weight
 * @param isEmbed    the architecture flags it as a vocabulary embedding (embed_tokens, lm_head)
 * @param shape      output shape
 * @param workDtype  dtype the inputs are cast to and the method computes in
 * @param outDtype   dtype written
 * @param inputs     inputs in mergekit dict order (slice source order; the base where it is an input)
 * @param baseModel  the base model when it is one of the inputs, else null
 * @param slice      index of the output slice its parameters come from
 * @param t          position in that slice for gradients (0 for pre/post weights)
 * @param permuted   true when a tokenizer config re-indexes this embedding to the output vocabulary
 */
public record TensorJob(int index, String name, Part part, boolean isEmbed, Shape shape, DType workDtype,
                        DType outDtype, List<JobInput> inputs, ModelReference baseModel, int slice, double t,
                        boolean permuted) {

    /** Where in the model a tensor sits. */
    public enum Part { PRE, LAYER, POST }

    public TensorJob {
        inputs = List.copyOf(inputs);
    }

    /** The output tensor as the writer plans it. */
    public TensorInfo output() {
        return new TensorInfo(name, outDtype, shape);
    }

    /** Bytes read from the inputs (as stored). */
    public long inputBytes() {
        long n = 0;
        for (JobInput in : inputs) {
            n += in.stored().byteSize();
        }
        return n;
    }
}
