package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Tensor;

import java.util.List;

/**
 * nearswap: per element, takes the other model's value where it is close to the base's:
 * {@code w = clamp(t / max(|a-b|, 1e-6), 0, 1)}, result {@code w·b + (1-w)·a} (a = base). Work dtype, torch op order
 * ({@code t / x} on a tensor is {@code reciprocal(x) * t}).
 */
final class NearSwapMethod extends AbstractMergeMethod {

    NearSwapMethod() {
        super("nearswap", BaseModelUse.REQUIRED, InputArity.exactly(1), List.of(
                ParameterSpec.required("t", ParameterSpec.Scope.GLOBAL, ParameterSpec.Kind.NUMBER)));
    }

    @Override
    public Tensor merge(MergeInputs in) {
        DType d = in.workDtype();
        double t = global(in, "t");
        MergeInputs.InputTensor base = requireBase(in);
        List<MergeInputs.InputTensor> others = in.others();
        if (others.isEmpty()) {
            return Numerics.write(d, base.tensor().shape(), Numerics.read(base.tensor()));
        }
        if (others.size() > 1) {
            throw usage(in, "nearswap merges the base with exactly one other model, got " + others.size() + ".");
        }
        if (!base.tensor().shape().equals(others.get(0).tensor().shape())) {
            throw usage(in, "tensor size mismatch: " + Shapes.describe(List.of(base, others.get(0)),
                    List.of(base.tensor(), others.get(0).tensor())) + ".");
        }
        float[] a = Numerics.read(base.tensor());
        float[] b = Numerics.read(others.get(0).tensor());
        float tf = (float) t;
        float minDiff = Numerics.round(d, 1e-6f);
        float[] out = new float[a.length];
        Numerics.forRange(a.length, (s, e) -> {
            for (int i = s; i < e; i++) {
                float diff = Math.max(Math.abs(Numerics.round(d, a[i] - b[i])), minDiff);
                // Python's t / tensor is torch's reciprocal(tensor) * t: two roundings.
                float w = Numerics.round(d, Numerics.round(d, 1f / diff) * tf);
                w = Math.min(1f, Math.max(0f, w));
                float oneMinusW = Numerics.round(d, 1f - w);
                out[i] = Numerics.round(d, Numerics.round(d, w * b[i]) + Numerics.round(d, oneMinusW * a[i]));
            }
        });
        return Numerics.write(d, base.tensor().shape(), out);
    }
}
