package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * nuslerp: slerp between two models with {@code t = w2/(w1+w2)} (0.5 when |w1+w2| < 1e-6), of their task vectors
 * when a base is given, over the flattened tensor (default), each row, or each column (nuslerp_row_wise). Runs in the
 * work dtype with torch's op order; norms and dots are float32-accumulated reductions rounded once.
 */
final class NuSlerpMethod extends AbstractMergeMethod {

    NuSlerpMethod() {
        super("nuslerp", BaseModelUse.OPTIONAL, InputArity.exactly(2), List.of(
                ParameterSpec.bool("nuslerp_row_wise", ParameterSpec.Scope.GLOBAL, false),
                ParameterSpec.bool("nuslerp_flatten", ParameterSpec.Scope.GLOBAL, true),
                ParameterSpec.required("weight", ParameterSpec.Scope.PER_MODEL, ParameterSpec.Kind.NUMBER)));
    }

    @Override
    public Tensor merge(MergeInputs in) {
        DType d = in.workDtype();
        if (in.inputs().size() == 1) {
            Tensor only = in.inputs().get(0).tensor();
            return Numerics.write(d, only.shape(), Numerics.read(only));
        }
        MergeInputs.InputTensor base = in.base();
        if (base != null && in.inputs().size() != 3) {
            throw usage(in, "nuslerp with a base_model needs the base plus two other models, got "
                    + in.inputs().size() + " inputs (the base may not be one of the two).");
        }
        List<MergeInputs.InputTensor> others = in.others();
        if (others.size() != 2) {
            throw usage(in, "nuslerp merges exactly two models (plus an optional base), got " + others.size() + ".");
        }
        boolean rowWise = flag(in, "nuslerp_row_wise");
        boolean flatten = flag(in, "nuslerp_flatten");
        double w1 = perModel(in, others.get(0), "weight");
        double w2 = perModel(in, others.get(1), "weight");
        double sum = w1 + w2;
        double t = Math.abs(sum) < 1e-6 ? 0.5 : w2 / sum;

        List<Tensor> ts = new ArrayList<>(List.of(others.get(0).tensor(), others.get(1).tensor()));
        List<MergeInputs.InputTensor> named = new ArrayList<>(others);
        if (base != null) {
            ts.add(base.tensor());
            named.add(base);
        }
        ts = Shapes.rectifyEmbed(in.isEmbed(), ts);
        if (!Shapes.sameShape(ts)) {
            throw usage(in, "tensor size mismatch: " + Shapes.describe(named, ts) + ".");
        }
        Shape shape = ts.get(0).shape();
        float[] v0 = Numerics.read(ts.get(0));
        float[] v1 = Numerics.read(ts.get(1));
        float[] b = base != null ? Numerics.read(ts.get(2)) : null;
        if (b != null) {
            for (int i = 0; i < v0.length; i++) {
                v0[i] = Numerics.round(d, v0[i] - b[i]);
                v1[i] = Numerics.round(d, v1[i] - b[i]);
            }
        }
        Lines lines = flatten ? Lines.flat(v0.length) : Lines.along(shape, rowWise ? 0 : -1);
        float[] res = nuslerp(d, t, v0, v1, lines);
        if (b != null) {
            for (int i = 0; i < res.length; i++) {
                res[i] = Numerics.round(d, b[i] + res[i]);
            }
        }
        return Numerics.write(d, shape, res);
    }

    /** nuslerp over each line; colinear lines (|sin θ| < 1e-8) are interpolated linearly. */
    static float[] nuslerp(DType d, double t, float[] v0, float[] v1, Lines lines) {
        float[] res = new float[v0.length];
        float oneMinusT = (float) (1 - t);
        float tf = (float) t;
        float normEps = 1e-7f;
        for (int l = 0; l < lines.count(); l++) {
            float n0 = Math.max(norm(d, v0, lines, l), normEps);
            float n1 = Math.max(norm(d, v1, lines, l), normEps);
            double cosAcc = 0;
            for (int j = 0; j < lines.length(); j++) {
                int i = lines.at(l, j);
                float u0 = Numerics.round(d, v0[i] / n0);
                float u1 = Numerics.round(d, v1[i] / n1);
                cosAcc += Numerics.round(d, u0 * u1);
            }
            float cos = Numerics.reduced(d, cosAcc);
            float theta = Numerics.round(d, (float) Math.acos(Math.max(-1f, Math.min(1f, cos))));
            float sinTheta = Numerics.round(d, (float) Math.sin(theta));
            boolean colinear = Math.abs(sinTheta) < 1e-8;
            float c0 = Numerics.round(d, (float) Math.sin(Numerics.round(d, oneMinusT * theta)));
            float c1 = Numerics.round(d, (float) Math.sin(Numerics.round(d, tf * theta)));
            for (int j = 0; j < lines.length(); j++) {
                int i = lines.at(l, j);
                if (colinear) {
                    res[i] = Numerics.round(d, Numerics.round(d, oneMinusT * v0[i]) + Numerics.round(d, tf * v1[i]));
                } else {
                    float num = Numerics.round(d, Numerics.round(d, c0 * v0[i]) + Numerics.round(d, c1 * v1[i]));
                    res[i] = Numerics.round(d, num / sinTheta);
                }
            }
        }
        return res;
    }

    private static float norm(DType d, float[] v, Lines lines, int l) {
        double acc = 0;
        for (int j = 0; j < lines.length(); j++) {
            float x = v[lines.at(l, j)];
            acc += (double) x * x;
        }
        return Numerics.reduced(d, Math.sqrt(acc));
    }
}
