package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * karcher: the Riemannian (Karcher) mean of the inputs' directions on the unit sphere, equal weights 1/N over all
 * inputs (a configured base is just one more input), scaled by the mean norm. Iterates the tangent-space update at
 * most max_iter times, stopping when the tangent norm drops below tol. Unlike mergekit (whose cropping is a no-op),
 * embeddings of different vocab sizes are cropped to the common size.
 */
final class KarcherMethod extends AbstractMergeMethod {

    KarcherMethod() {
        super("karcher", BaseModelUse.JUST_AN_INPUT, InputArity.atLeast(1), List.of(
                ParameterSpec.number("max_iter", ParameterSpec.Scope.GLOBAL, 10.0),
                ParameterSpec.number("tol", ParameterSpec.Scope.GLOBAL, 1e-5)));
    }

    @Override
    public Tensor merge(MergeInputs in) {
        DType d = in.workDtype();
        List<MergeInputs.InputTensor> inputs = in.inputs();
        if (inputs.isEmpty()) {
            throw usage(in, "no inputs.");
        }
        int maxIter = (int) global(in, "max_iter");
        double tol = global(in, "tol");
        List<Tensor> ts = Shapes.rectifyEmbed(in.isEmbed(), inputs.stream().map(MergeInputs.InputTensor::tensor).toList());
        if (!Shapes.sameShape(ts)) {
            throw usage(in, "tensor size mismatch: " + Shapes.describe(inputs, ts) + ".");
        }
        Shape shape = ts.get(0).shape();
        List<float[]> xs = new ArrayList<>();
        for (Tensor t : ts) {
            xs.add(Numerics.read(t));
        }
        if (xs.size() == 1) {
            return Numerics.write(d, shape, xs.get(0));
        }
        return Numerics.write(d, shape, karcher(d, xs, maxIter, tol));
    }

    /** The Karcher mean with equal weights 1/N, in work-dtype op order (norms as float32 scalars). */
    static float[] karcher(DType d, List<float[]> xs, int maxIter, double tol) {
        int n = xs.size();
        int len = xs.get(0).length;
        double alpha = 1.0 / n;
        double[] norms = new double[n];
        List<float[]> units = new ArrayList<>();
        List<Double> validAlpha = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] x = xs.get(i);
            float nrm = (float) Math.sqrt(sumSq(x));
            norms[i] = nrm;
            float[] u = new float[len];
            if (nrm != 0f) {
                // A 0-dim float32 tensor operand is cast to the work dtype before the op.
                float div = Numerics.round(d, nrm);
                for (int j = 0; j < len; j++) {
                    u[j] = Numerics.round(d, x[j] / div);
                }
            }
            if (nrm > tol) {
                units.add(u);
                validAlpha.add(alpha);
            }
        }
        if (units.isEmpty()) {
            return new float[len];
        }
        double alphaSum = 0;
        for (double a : validAlpha) {
            alphaSum += a;
        }
        int m = units.size();
        float[] a = new float[m];
        for (int i = 0; i < m; i++) {
            a[i] = (float) (validAlpha.get(i) / alphaSum);
        }
        float[] mean = new float[len];
        for (int i = 0; i < m; i++) {
            float[] u = units.get(i);
            for (int j = 0; j < len; j++) {
                mean[j] = Numerics.round(d, mean[j] + Numerics.round(d, a[i] * u[j]));
            }
        }
        double meanNorm = (float) Math.sqrt(sumSq(mean));
        if (meanNorm < tol) {
            mean = units.get(0).clone();
        } else {
            float mn = (float) meanNorm;
            for (int j = 0; j < len; j++) {
                mean[j] = Numerics.round(d, mean[j] / mn);
            }
        }
        for (int iter = 0; iter < maxIter; iter++) {
            float[] tangent = new float[len];
            for (int i = 0; i < m; i++) {
                float[] u = units.get(i);
                double dotAcc = 0;
                for (int j = 0; j < len; j++) {
                    dotAcc += (double) mean[j] * u[j];
                }
                float dot = Math.max(-1f, Math.min(1f, Numerics.reduced(d, dotAcc)));
                float theta = Numerics.round(d, (float) Math.acos(dot));
                if (theta < tol) {
                    continue;
                }
                float coef = Numerics.round(d, a[i] * Numerics.round(d, theta / Numerics.round(d, (float) Math.sin(theta))));
                for (int j = 0; j < len; j++) {
                    float dir = Numerics.round(d, u[j] - Numerics.round(d, dot * mean[j]));
                    tangent[j] = Numerics.round(d, tangent[j] + Numerics.round(d, coef * dir));
                }
            }
            float tn = (float) Math.sqrt(sumSq(tangent));
            if (tn < tol) {
                break;
            }
            float c = Numerics.round(d, (float) Math.cos(tn));
            float s = Numerics.round(d, (float) Math.sin(tn));
            float tnd = Numerics.round(d, tn);
            for (int j = 0; j < len; j++) {
                float step = Numerics.round(d, s * Numerics.round(d, tangent[j] / tnd));
                mean[j] = Numerics.round(d, Numerics.round(d, c * mean[j]) + step);
            }
            float un = (float) Math.sqrt(sumSq(mean));
            if (un > tol) {
                float und = Numerics.round(d, un);
                for (int j = 0; j < len; j++) {
                    mean[j] = Numerics.round(d, mean[j] / und);
                }
            }
        }
        double scale = 0;
        for (int i = 0; i < n; i++) {
            scale += alpha * norms[i];
        }
        float sc = (float) scale;
        float[] out = new float[len];
        for (int j = 0; j < len; j++) {
            out[j] = Numerics.round(d, sc * mean[j]);
        }
        return out;
    }

    private static double sumSq(float[] v) {
        double acc = 0;
        for (float x : v) {
            acc += (double) x * x;
        }
        return acc;
    }
}
