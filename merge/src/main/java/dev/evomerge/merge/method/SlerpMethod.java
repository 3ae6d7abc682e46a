package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Tensor;

import java.util.List;

/**
 * slerp: spherical interpolation from the base (t = 0) to the other model (t = 1) over whole flattened tensors.
 * mergekit runs this in float32 NumPy and casts back: every element op here is a float32 op (scalars are float32 as
 * under NumPy 2's NEP 50), norms and dot products are accumulated in double and rounded to float32 (NumPy sums
 * pairwise in float32), and arccos/sin are evaluated in double and rounded. The result is rounded to the work dtype
 * once.
 */
final class SlerpMethod extends AbstractMergeMethod {

    static final double DOT_THRESHOLD = 0.9995;
    static final double NORM_EPS = 1e-8;

    SlerpMethod() {
        super("slerp", BaseModelUse.SELECTS_T0, InputArity.exactly(1), List.of(
                ParameterSpec.required("t", ParameterSpec.Scope.GLOBAL, ParameterSpec.Kind.NUMBER).asGene()));
    }

    @Override
    public Tensor merge(MergeInputs in) {
        double t = global(in, "t");
        DType d = in.workDtype();
        if (in.inputs().size() == 1) {
            Tensor only = in.inputs().get(0).tensor();
            return Numerics.write(d, only.shape(), Numerics.read(only));
        }
        if (in.inputs().size() != 2) {
            throw usage(in, "slerp merges exactly two models (the base and one other), got " + in.inputs().size() + ".");
        }
        MergeInputs.InputTensor base = requireBase(in);
        MergeInputs.InputTensor other = in.others().get(0);
        List<Tensor> ts = Shapes.rectifyEmbed(in.isEmbed(), List.of(base.tensor(), other.tensor()));
        if (!Shapes.sameShape(ts)) {
            throw usage(in, "tensor size mismatch: " + Shapes.describe(List.of(base, other), ts) + ".");
        }
        float[] v0 = Numerics.read(ts.get(0));
        float[] v1 = Numerics.read(ts.get(1));
        float[] res = slerp(t, v0, v1);
        for (int i = 0; i < res.length; i++) {
            res[i] = Numerics.round(d, res[i]);
        }
        return Numerics.write(d, ts.get(0).shape(), res);
    }

    /** float32 slerp of two flat vectors (not modified). */
    static float[] slerp(double t, float[] v0, float[] v1) {
        int n = v0.length;
        float n0 = norm(v0);
        float n1 = norm(v1);
        // Dot of the normalised vectors: each u element is a float32 division, each product a float32 multiply.
        double dotAcc = 0;
        for (int i = 0; i < n; i++) {
            float u0 = n0 > NORM_EPS ? v0[i] / n0 : v0[i];
            float u1 = n1 > NORM_EPS ? v1[i] / n1 : v1[i];
            dotAcc += u0 * u1;
        }
        float dot = (float) dotAcc;
        float[] res = new float[n];
        if (Math.abs(dot) > DOT_THRESHOLD) {
            float a = (float) (1 - t);
            float b = (float) t;
            for (int i = 0; i < n; i++) {
                res[i] = a * v0[i] + b * v1[i];
            }
            return res;
        }
        float theta0 = (float) Math.acos(dot);
        float sinTheta0 = (float) Math.sin(theta0);
        float thetaT = theta0 * (float) t;
        float sinThetaT = (float) Math.sin(thetaT);
        float s0 = (float) Math.sin(theta0 - thetaT) / sinTheta0;
        float s1 = sinThetaT / sinTheta0;
        for (int i = 0; i < n; i++) {
            res[i] = s0 * v0[i] + s1 * v1[i];
        }
        return res;
    }

    /** Euclidean norm accumulated in double, rounded to float32. */
    static float norm(float[] v) {
        double acc = 0;
        for (float x : v) {
            acc += (double) x * x;
        }
        return (float) Math.sqrt(acc);
    }
}
