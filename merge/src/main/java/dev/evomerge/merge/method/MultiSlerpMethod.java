package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * multislerp: weighted barycentre of several models on the hypersphere (tangent-space average at the normalised
 * weighted mean of the unit vectors, mapped back with the exponential map, scaled by the weighted mean norm), of
 * task vectors when a base is given. Inputs in dict order (mergekit: Python set order). Work dtype, torch op order.
 */
final class MultiSlerpMethod extends AbstractMergeMethod {

    MultiSlerpMethod() {
        super("multislerp", BaseModelUse.OPTIONAL, InputArity.atLeast(1), List.of(
                ParameterSpec.bool("normalize_weights", ParameterSpec.Scope.GLOBAL, true),
                ParameterSpec.number("eps", ParameterSpec.Scope.GLOBAL, 1e-8),
                ParameterSpec.required("weight", ParameterSpec.Scope.PER_MODEL, ParameterSpec.Kind.NUMBER)));
    }

    @Override
    public Tensor merge(MergeInputs in) {
        DType d = in.workDtype();
        List<MergeInputs.InputTensor> others = in.others();
        MergeInputs.InputTensor base = in.base();
        if (others.isEmpty()) {
            throw usage(in, "multislerp needs at least one non-base model.");
        }
        boolean normalizeWeights = flag(in, "normalize_weights");
        float eps = (float) global(in, "eps");
        int n = others.size();
        double[] weight = new double[n];
        for (int i = 0; i < n; i++) {
            weight[i] = perModel(in, others.get(i), "weight");
        }
        List<Tensor> ts = new ArrayList<>();
        for (MergeInputs.InputTensor o : others) {
            ts.add(o.tensor());
        }
        if (base != null) {
            ts.add(base.tensor());
        }
        if (!Shapes.sameShape(ts)) {
            List<MergeInputs.InputTensor> named = new ArrayList<>(others);
            if (base != null) {
                named.add(base);
            }
            throw usage(in, "tensor size mismatch: " + Shapes.describe(named, ts) + ".");
        }
        Shape shape = ts.get(0).shape();
        if (n == 1) {
            return Numerics.write(d, shape, Numerics.read(others.get(0).tensor()));
        }
        float[] b = base != null ? Numerics.read(base.tensor()) : null;
        float[][] x = new float[n][];
        for (int i = 0; i < n; i++) {
            x[i] = Numerics.read(others.get(i).tensor());
            if (b != null) {
                for (int j = 0; j < b.length; j++) {
                    x[i][j] = Numerics.round(d, x[i][j] - b[j]);
                }
            }
        }
        int len = x[0].length;
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = Numerics.tensorOf(d, weight[i]);
        }
        if (normalizeWeights) {
            double s = 0;
            for (float wi : w) {
                s += wi;
            }
            float ws = Numerics.reduced(d, s);
            for (int i = 0; i < n; i++) {
                w[i] = Numerics.round(d, w[i] / ws);
            }
        }
        float[] norms = new float[n];
        float[][] u = new float[n][len];
        for (int i = 0; i < n; i++) {
            norms[i] = norm(d, x[i]);
            float den = Numerics.round(d, norms[i] + eps);
            for (int j = 0; j < len; j++) {
                u[i][j] = Numerics.round(d, x[i][j] / den);
            }
        }
        float[] mean = weightedSum(d, u, w);
        float meanNorm = norm(d, mean);
        float[] res = new float[len];
        if (meanNorm < Numerics.round(d, eps)) {
            if (n != 2) {
                throw usage(in, "the weighted mean of the unit task vectors is zero (antipodal inputs with balancing"
                        + " weights); change the weights.");
            }
            for (int j = 0; j < len; j++) {
                res[j] = Numerics.round(d, Numerics.round(d, x[0][j] * w[0]) + Numerics.round(d, x[1][j] * w[1]));
            }
        } else {
            for (int j = 0; j < len; j++) {
                mean[j] = Numerics.round(d, mean[j] / meanNorm);
            }
            float[][] tangent = new float[n][len];
            for (int i = 0; i < n; i++) {
                double acc = 0;
                for (int j = 0; j < len; j++) {
                    acc += Numerics.round(d, u[i][j] * mean[j]);
                }
                float dot = Numerics.reduced(d, acc);
                for (int j = 0; j < len; j++) {
                    tangent[i][j] = Numerics.round(d, u[i][j] - Numerics.round(d, dot * mean[j]));
                }
            }
            float[] tr = weightedSum(d, tangent, w);
            float tn = Numerics.round(d, norm(d, tr) + eps);
            float cosTn = Numerics.round(d, (float) Math.cos(tn));
            float sinOver = Numerics.round(d, Numerics.round(d, (float) Math.sin(tn)) / tn);
            double avgAcc = 0;
            for (int i = 0; i < n; i++) {
                avgAcc += Numerics.round(d, norms[i] * w[i]);
            }
            float avg = Numerics.reduced(d, avgAcc);
            for (int j = 0; j < len; j++) {
                float r = Numerics.round(d, Numerics.round(d, mean[j] * cosTn) + Numerics.round(d, tr[j] * sinOver));
                res[j] = Numerics.round(d, r * avg);
            }
        }
        if (b != null) {
            for (int j = 0; j < len; j++) {
                res[j] = Numerics.round(d, res[j] + b[j]);
            }
        }
        return Numerics.write(d, shape, res);
    }

    /** round(Σ_i round(v_i w_i)) over the stacked dim (float32 accumulation in order). */
    private static float[] weightedSum(DType d, float[][] v, float[] w) {
        int len = v[0].length;
        float[] out = new float[len];
        for (int i = 0; i < v.length; i++) {
            for (int j = 0; j < len; j++) {
                out[j] += Numerics.round(d, v[i][j] * w[i]);
            }
        }
        for (int j = 0; j < len; j++) {
            out[j] = Numerics.round(d, out[j]);
        }
        return out;
    }

    static float norm(DType d, float[] v) {
        double acc = 0;
        for (float x : v) {
            acc += (double) x * x;
        }
        return Numerics.reduced(d, Math.sqrt(acc));
    }
}
