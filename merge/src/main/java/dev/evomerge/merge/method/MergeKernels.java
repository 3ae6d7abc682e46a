package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Tensor;

import java.util.List;

/** Hot loops shared by the methods the evolution loop runs most (linear, task arithmetic, TIES), multi-threaded. */
final class MergeKernels {

    private MergeKernels() {
    }

    /**
     * {@code round(Σ_k round(w_k x_k))} (float32 accumulation in input order, like torch's sum over a small stacked
     * dim), then {@code round(sum / den)} when normalize, written piece by piece into out. Inputs are read piece by
     * piece, so nothing but the output is materialised.
     */
    static void weightedSum(DType d, List<Tensor> xs, float[] w, boolean normalize, float den, Tensor out) {
        int n = Math.toIntExact(xs.get(0).numel());
        Numerics.forRange(n, (s, e) -> {
            int len = e - s;
            float[] buf = new float[len];
            float[] acc = new float[len];
            for (int k = 0; k < xs.size(); k++) {
                Numerics.read(xs.get(k), s, buf, 0, len);
                // acc starts at +0 like torch's accumulator (0 + p keeps p except that -0 becomes +0)
                VectorMath.addScaled(d, acc, 0, buf, 0, w[k], len);
            }
            VectorMath.roundAndDivide(d, acc, 0, len, normalize, den);
            Numerics.writePiece(out, s, acc, len);
        });
    }
}
