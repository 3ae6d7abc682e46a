package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Tensor;

import java.util.List;

/**
 * sce (select, calculate, erase): optionally keeps only the top select_topk fraction of positions by variance across
 * the task vectors, weights each model by its mean squared task vector (normalised to sum 1), erases entries against
 * the majority sign (TIES vote on the unweighted task vectors) and takes the weighted mean of the rest. No per-model
 * weights. Inputs in dict order (mergekit: Python set order).
 */
final class SceMethod extends AbstractMergeMethod {

    SceMethod() {
        super("sce", BaseModelUse.REQUIRED, InputArity.atLeast(1), List.of(
                ParameterSpec.bool("int8_mask", ParameterSpec.Scope.GLOBAL, false),
                ParameterSpec.number("select_topk", ParameterSpec.Scope.GLOBAL, 1.0)));
    }

    @Override
    public Tensor merge(MergeInputs in) {
        DType d = in.workDtype();
        double topk = global(in, "select_topk");
        MergeInputs.InputTensor base = requireBase(in);
        List<TaskVectors.TaskVector> tvs = TaskVectors.of(this, in, base);
        float[] b = Numerics.read(base.tensor());
        int n = tvs.size();
        if (n == 0) {
            return Numerics.write(d, base.tensor().shape(), b);
        }
        int len = b.length;
        float[][] tau = new float[n][];
        for (int i = 0; i < n; i++) {
            tau[i] = tvs.get(i).delta();
        }
        if (topk < 1) {
            float[] var = variance(d, tau);
            long nonZero = 0;
            for (float v : var) {
                if (v != 0f) {
                    nonZero++;
                }
            }
            // count_nonzero(var) * select_topk is a float32 tensor, truncated by int(); topk <= 0 keeps nothing
            long k = topk <= 0 ? 0 : (long) ((float) nonZero * (float) topk);
            // One mask shared by all models: the k positions of largest variance (ties by index).
            byte[] keep = Sparsifiers.rankMask(var, null, 0, k);
            for (int i = 0; i < n; i++) {
                tau[i] = Sparsifiers.applyMask(tau[i], keep);
            }
        }
        // Matrix-level weights (mergekit's sce_weight): the per-model mean of squares is a tensor in the work dtype
        // (float32 sum divided by numel in float32, rounded once), their sum is that tensor summed (rounded again) and
        // read back with item(), and the weights are that tensor divided by the Python float (float32 op, rounded).
        float[] mean = new float[n];
        double meanSum = 0;
        for (int i = 0; i < n; i++) {
            float[] t = tau[i];
            double acc = Numerics.sumParallel(len, (st, e) -> {
                double a = 0;
                for (int j = st; j < e; j++) {
                    a += Numerics.round(d, t[j] * t[j]);
                }
                return a;
            });
            mean[i] = Numerics.round(d, (float) acc / (float) len);
            meanSum += mean[i];
        }
        float sSum = Numerics.reduced(d, meanSum);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = Numerics.round(d, Math.abs(sSum) < 1e-6 ? 1f / n : mean[i] / sSum);
        }
        float minDiv = Numerics.round(d, 1e-6f);
        float[] out = new float[len];
        Numerics.forRange(len, (st, e) -> {
            for (int j = st; j < e; j++) {
                float vote = 0f;
                for (int i = 0; i < n; i++) {
                    vote += tau[i][j];
                }
                float majority = Numerics.round(d, vote) >= 0f ? 1f : -1f;
                float mixed = 0f;
                float div = 0f;
                for (int i = 0; i < n; i++) {
                    if (Math.signum(tau[i][j]) == majority) {
                        mixed += Numerics.round(d, tau[i][j] * w[i]);
                        div += w[i];
                    }
                }
                float m = Numerics.round(d, mixed);
                float dv = Math.max(Numerics.round(d, div), minDiv);
                out[j] = Numerics.round(d, b[j] + Numerics.round(d, m / dv));
            }
        });
        return Numerics.write(d, base.tensor().shape(), out);
    }

    /** Population variance over the models per position, computed in double and rounded once (torch.var). */
    private static float[] variance(DType d, float[][] tau) {
        int n = tau.length;
        int len = tau[0].length;
        float[] var = new float[len];
        for (int j = 0; j < len; j++) {
            double mean = 0;
            for (float[] t : tau) {
                mean += t[j];
            }
            mean /= n;
            double acc = 0;
            for (float[] t : tau) {
                double dv = t[j] - mean;
                acc += dv * dv;
            }
            var[j] = Numerics.reduced(d, acc / n);
        }
        return var;
    }
}
