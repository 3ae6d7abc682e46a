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
     * dim), then {@code round(sum / den)} when normalize. Inputs are read chunk by chunk so nothing but the output is
     * materialised.
     */
    static float[] weightedSum(DType d, List<Tensor> xs, float[] w, boolean normalize, float den) {
        int n = Math.toIntExact(xs.get(0).numel());
        float[] out = new float[n];
        boolean r = Numerics.rounds(d);
        Numerics.forRange(n, (s, e) -> {
            int len = e - s;
            float[] buf = new float[len];
            for (int k = 0; k < xs.size(); k++) {
                Numerics.read(xs.get(k), s, buf, 0, len);
                float wk = w[k];
                if (k == 0) {
                    // torch's accumulator starts at +0.0: 0 + p keeps p except that -0 becomes +0.
                    if (r) {
                        for (int i = 0; i < len; i++) {
                            out[s + i] = 0f + Numerics.round(d, wk * buf[i]);
                        }
                    } else {
                        for (int i = 0; i < len; i++) {
                            out[s + i] = 0f + wk * buf[i];
                        }
                    }
                } else if (r) {
                    for (int i = 0; i < len; i++) {
                        out[s + i] += Numerics.round(d, wk * buf[i]);
                    }
                } else {
                    for (int i = 0; i < len; i++) {
                        out[s + i] += wk * buf[i];
                    }
                }
            }
            if (r) {
                for (int i = s; i < e; i++) {
                    out[i] = Numerics.round(d, out[i]);
                }
            }
            if (normalize) {
                for (int i = s; i < e; i++) {
                    out[i] = Numerics.round(d, out[i] / den);
                }
            }
        });
        return out;
    }
}
