package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * model_stock: {@code t = N·cos/(1 + (N-1)·cos)} from the mean pairwise cosine of the task vectors (whole tensor, or
 * per row when filter_wise), result {@code t·mean(models) + (1-t)·base}. Weights are not used; t is not clamped.
 */
final class ModelStockMethod extends AbstractMergeMethod {

    ModelStockMethod() {
        super("model_stock", BaseModelUse.REQUIRED, InputArity.atLeast(2), List.of(
                ParameterSpec.bool("filter_wise", ParameterSpec.Scope.GLOBAL, false)));
    }

    @Override
    public Tensor merge(MergeInputs in) {
        DType d = in.workDtype();
        boolean filterWise = flag(in, "filter_wise");
        MergeInputs.InputTensor base = requireBase(in);
        if (in.inputs().size() == 1) {
            return Numerics.write(d, base.tensor().shape(), Numerics.read(base.tensor()));
        }
        List<MergeInputs.InputTensor> others = in.others();
        if (others.size() < 2) {
            throw usage(in, "model_stock needs the base plus at least two other models, got " + others.size()
                    + " other(s).");
        }
        List<MergeInputs.InputTensor> named = new ArrayList<>();
        named.add(base);
        named.addAll(others);
        List<Tensor> ts = Shapes.rectifyEmbed(in.isEmbed(), named.stream().map(MergeInputs.InputTensor::tensor).toList());
        if (!Shapes.sameShape(ts)) {
            throw usage(in, "tensor size mismatch: " + Shapes.describe(named, ts) + ".");
        }
        Shape shape = ts.get(0).shape();
        float[] w0 = Numerics.read(ts.get(0));
        int n = others.size();
        float[][] ws = new float[n][];
        for (int i = 0; i < n; i++) {
            ws[i] = Numerics.read(ts.get(i + 1));
        }
        Lines lines = filterWise ? Lines.along(shape.rank() == 0 ? Shape.of(1) : shape, -1) : Lines.flat(w0.length);
        return Numerics.write(d, shape, modelStock(d, w0, ws, lines));
    }

    static float[] modelStock(DType d, float[] w0, float[][] ws, Lines lines) {
        int n = ws.length;
        int len = w0.length;
        float[][] off = new float[n][len];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < len; j++) {
                off[i][j] = Numerics.round(d, ws[i][j] - w0[j]);
            }
        }
        // Σ_i ws_i in Python order (0 + w_1 + w_2 ...), then / N.
        float[] avg = new float[len];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < len; j++) {
                avg[j] = Numerics.round(d, avg[j] + ws[i][j]);
            }
        }
        for (int j = 0; j < len; j++) {
            avg[j] = Numerics.round(d, avg[j] / (float) n);
        }
        int pairs = n * (n - 1) / 2;
        float[] out = new float[len];
        for (int l = 0; l < lines.count(); l++) {
            float[] norms = new float[n];
            for (int i = 0; i < n; i++) {
                double acc = 0;
                for (int j = 0; j < lines.length(); j++) {
                    float x = off[i][lines.at(l, j)];
                    acc += (double) x * x;
                }
                norms[i] = Numerics.reduced(d, Math.sqrt(acc));
            }
            double cosSum = 0;
            for (int i = 0; i < n; i++) {
                for (int k = i + 1; k < n; k++) {
                    double dot = 0;
                    for (int j = 0; j < lines.length(); j++) {
                        int idx = lines.at(l, j);
                        dot += Numerics.round(d, off[i][idx] * off[k][idx]);
                    }
                    float np = Math.max(Numerics.round(d, norms[i] * norms[k]), Numerics.round(d, 1e-6f));
                    float cos = Numerics.round(d, Numerics.reduced(d, dot) / np);
                    cosSum += Math.max(-1f, Math.min(1f, cos));
                }
            }
            float cos = Numerics.round(d, (float) (cosSum / pairs));
            float num = Numerics.round(d, (float) n * cos);
            float den = Numerics.round(d, 1f + Numerics.round(d, (float) (n - 1) * cos));
            float t = Numerics.round(d, num / den);
            float oneMinusT = Numerics.round(d, 1f - t);
            for (int j = 0; j < lines.length(); j++) {
                int idx = lines.at(l, j);
                out[idx] = Numerics.round(d, Numerics.round(d, t * avg[idx]) + Numerics.round(d, oneMinusT * w0[idx]));
            }
        }
        return out;
    }
}
