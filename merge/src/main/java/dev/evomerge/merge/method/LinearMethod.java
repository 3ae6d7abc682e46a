package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Tensor;

import java.lang.foreign.Arena;
import java.util.List;

/**
 * linear (model soups): {@code Σ w_i x_i}, divided by {@code Σ w_i} when normalize. Per-op rounding in the work
 * dtype: {@code W_i = dtype(w_i)}, {@code p_i = round(W_i x_i)}, float32 sum in input order rounded once, then
 * {@code round(sum / round(ΣW))}.
 */
final class LinearMethod extends AbstractMergeMethod {

    LinearMethod() {
        super("linear", BaseModelUse.JUST_AN_INPUT, InputArity.atLeast(1), List.of(
                ParameterSpec.bool("normalize", ParameterSpec.Scope.GLOBAL, true),
                ParameterSpec.required("weight", ParameterSpec.Scope.PER_MODEL, ParameterSpec.Kind.NUMBER).asGene()));
    }

    @Override
    public Tensor merge(MergeInputs in) {
        return merge(in, Arena.ofAuto());
    }

    @Override
    public Tensor merge(MergeInputs in, Arena arena) {
        List<MergeInputs.InputTensor> inputs = in.inputs();
        if (inputs.isEmpty()) {
            throw usage(in, "no inputs.");
        }
        DType d = in.workDtype();
        List<Tensor> tensors = Shapes.rectifyEmbed(in.isEmbed(), inputs.stream().map(MergeInputs.InputTensor::tensor).toList());
        if (!Shapes.sameShape(tensors)) {
            throw usage(in, "tensor size mismatch: " + Shapes.describe(inputs, tensors) + ".");
        }
        int n = inputs.size();
        float[] w = new float[n];
        for (int k = 0; k < n; k++) {
            w[k] = Numerics.tensorOf(d, perModel(in, inputs.get(k), "weight"));
        }
        boolean normalize = flag(in, "normalize");
        float den = 1f;
        if (normalize) {
            float s = 0f;
            for (float wk : w) {
                s += wk;
            }
            den = Numerics.round(d, s);
            if (den == 0f) {
                // mergekit divides by zero here and writes inf/NaN weights; refuse instead.
                throw usage(in, "the weights sum to zero, so normalize: true would divide by zero.");
            }
        }
        if (StreamKernels.supports(d, tensors)) {
            Tensor out = in.output(d, tensors.get(0).shape(), arena);
            StreamKernels.weightedSum(d, tensors, w, normalize, den, out, in.rowTarget(out));
            return out;
        }
        Tensor out = Tensor.allocate(d, tensors.get(0).shape(), arena);
        MergeKernels.weightedSum(d, tensors, w, normalize, den, out);
        return out;
    }
}
