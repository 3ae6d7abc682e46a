package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Tensor;

import java.util.List;

/** passthrough: the single input unchanged, or {@code round(x * scale)} when the per-model scale is set. */
final class PassthroughMethod extends AbstractMergeMethod {

    PassthroughMethod() {
        super("passthrough", BaseModelUse.NONE, InputArity.exactly(1), List.of(
                ParameterSpec.number("scale", ParameterSpec.Scope.PER_MODEL, null)));
    }

    @Override
    public Tensor merge(MergeInputs in) {
        if (in.inputs().size() != 1) {
            throw usage(in, "passthrough takes exactly one input, got " + in.inputs().size() + ".");
        }
        MergeInputs.InputTensor only = in.inputs().get(0);
        Double scale = perModelOrNull(in, only, "scale");
        DType d = in.workDtype();
        float[] x = Numerics.read(only.tensor());
        if (scale != null) {
            // A Python scalar enters torch's op as float32.
            float s = (float) scale.doubleValue();
            Numerics.forRange(x.length, (a, b) -> {
                for (int i = a; i < b; i++) {
                    x[i] = Numerics.round(d, x[i] * s);
                }
            });
        }
        return Numerics.write(d, only.tensor().shape(), x);
    }
}
