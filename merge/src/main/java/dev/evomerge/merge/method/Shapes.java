package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Shape checks, and the cropping of embeddings whose vocabulary sizes differ to their common top-left block (as
 * mergekit crops them when no tokenizer config aligns the vocabularies).
 */
final class Shapes {

    private Shapes() {
    }

    /** The top-left [rows, cols] block of a 2-D tensor (a copy; the tensor itself when it already has that shape). */
    static Tensor crop2d(Tensor t, long rows, long cols) {
        Shape s = t.shape();
        if (s.dim(0) == rows && s.dim(1) == cols) {
            return t;
        }
        Tensor out = Tensor.allocate(t.dtype(), Shape.of(rows, cols));
        long es = t.dtype().byteSize();
        long srcRow = s.dim(1) * es;
        long dstRow = cols * es;
        for (long r = 0; r < rows; r++) {
            MemorySegment.copy(t.data(), r * srcRow, out.data(), r * dstRow, dstRow);
        }
        return out;
    }

    /**
     * mergekit's rectify_embed_sizes: for an embedding whose inputs are all 2-D, crop every tensor to the common
     * [min rows, min cols]. Other tensors are returned unchanged.
     */
    static List<Tensor> rectifyEmbed(boolean isEmbed, List<Tensor> tensors) {
        if (!isEmbed || tensors.isEmpty() || tensors.stream().anyMatch(t -> t.shape().rank() != 2)) {
            return tensors;
        }
        long rows = Long.MAX_VALUE;
        long cols = Long.MAX_VALUE;
        for (Tensor t : tensors) {
            rows = Math.min(rows, t.shape().dim(0));
            cols = Math.min(cols, t.shape().dim(1));
        }
        List<Tensor> out = new ArrayList<>(tensors.size());
        for (Tensor t : tensors) {
            out.add(crop2d(t, rows, cols));
        }
        return out;
    }

    /** Whether all tensors share one shape. */
    static boolean sameShape(List<Tensor> tensors) {
        for (Tensor t : tensors) {
            if (!t.shape().equals(tensors.get(0).shape())) {
                return false;
            }
        }
        return true;
    }

    /** "[a, b] / [c, d]" for error messages. */
    static String describe(List<MergeInputs.InputTensor> inputs, List<Tensor> tensors) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < tensors.size(); i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(inputs.get(i).model()).append(' ').append(tensors.get(i).shape());
        }
        return sb.toString();
    }
}
