package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Task vectors {@code δ = round(x - base)} of the non-base inputs, with mergekit's GTA shape rule: an embedding larger
 * than the base is cropped to the base's [rows, cols]; anything else that does not match the base is an error
 * (mergekit skips such a model with a warning, which silently changes the merge).
 */
final class TaskVectors {

    /** One model's task vector; {@code entry} is non-null when it came from (or went into) a cache. */
    record TaskVector(MergeInputs.InputTensor input, float[] delta, TaskVectorCache.Entry entry) {

        float[] sortedAbs() {
            return entry != null ? entry.sortedAbs() : null;
        }

        double l1() {
            return entry != null ? entry.l1() : Double.NaN;
        }
    }

    private TaskVectors() {
    }

    static List<TaskVector> of(AbstractMergeMethod method, MergeInputs in, MergeInputs.InputTensor base) {
        List<TaskVector> out = new ArrayList<>();
        for (MergeInputs.InputTensor other : in.others()) {
            out.add(of(method, in, base, other));
        }
        return out;
    }

    /**
     * One model's task vector (from the cache when there is one). Without a cache the delta array belongs to the
     * caller, who may overwrite it.
     */
    static TaskVector of(AbstractMergeMethod method, MergeInputs in, MergeInputs.InputTensor base,
                         MergeInputs.InputTensor other) {
        Tensor b = base.tensor();
        Shape bs = b.shape();
        DType d = in.workDtype();
        Tensor x = aligned(method, in, other, bs);
        int n = Math.toIntExact(bs.numel());
        if (in.cache() != null && in.cache().keepsTaskVectors()) {
            TaskVectorCache.Entry e = in.cache().get(in.tensorName(), other.model(), base.model(), d, n,
                    () -> delta(d, x, b));
            return new TaskVector(other, e.delta, e);
        }
        return new TaskVector(other, delta(d, x, b), null);
    }

    static Tensor aligned(AbstractMergeMethod method, MergeInputs in, MergeInputs.InputTensor other, Shape bs) {
        Tensor x = other.tensor();
        Shape xs = x.shape();
        if (xs.equals(bs)) {
            return x;
        }
        if (in.isEmbed() && xs.rank() == 2 && bs.rank() == 2 && xs.dim(0) >= bs.dim(0) && xs.dim(1) >= bs.dim(1)) {
            return Shapes.crop2d(x, bs.dim(0), bs.dim(1));
        }
        throw method.usage(in, "model " + other.model() + " has shape " + xs + " but the base model has " + bs
                + (in.isEmbed() ? " (an embedding may only be larger than the base's)." : "."));
    }

    /** round(x - b) element-wise. */
    static float[] delta(DType d, Tensor x, Tensor b) {
        int n = Math.toIntExact(b.numel());
        float[] out = new float[n];
        Numerics.forRange(n, (s, e) -> delta(d, x, b, s, out, s, e - s));
        return out;
    }

    /** round(x - b) for elements [s, s+len) into dst[off..off+len). */
    static void delta(DType d, Tensor x, Tensor b, long s, float[] dst, int off, int len) {
        float[] bb = PieceScratch.get().base(len);
        Numerics.read(x, s, dst, off, len);
        Numerics.read(b, s, bb, 0, len);
        VectorMath.subtract(d, dst, off, dst, off, bb, 0, len);
    }
}
