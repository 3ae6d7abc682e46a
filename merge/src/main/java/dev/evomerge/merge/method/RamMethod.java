package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * ram (reinforced agent merging) and ramplus_tl: task-vector entries with |τ| > epsilon count as contributions; an
 * entry only one model contributes is taken as is (ramplus_tl: times {@code λ_i = 1 + r·clamp(ρ_i, 0, alpha)},
 * {@code ρ_i} = the model's shared/unique contribution ratio), entries several models contribute are averaged over
 * the contributors. Inputs in dict order (mergekit: Python set order).
 */
final class RamMethod extends AbstractMergeMethod {

    private final boolean plus;

    RamMethod(boolean plus) {
        super(plus ? "ramplus_tl" : "ram", BaseModelUse.REQUIRED, InputArity.atLeast(1), params(plus));
        this.plus = plus;
    }

    private static List<ParameterSpec> params(boolean plus) {
        List<ParameterSpec> p = new ArrayList<>();
        if (plus) {
            p.add(ParameterSpec.number("r", ParameterSpec.Scope.GLOBAL, 0.1));
            p.add(ParameterSpec.number("alpha", ParameterSpec.Scope.GLOBAL, 0.2));
        }
        p.add(ParameterSpec.number("epsilon", ParameterSpec.Scope.GLOBAL, 1e-5));
        return p;
    }

    @Override
    public Tensor merge(MergeInputs in) {
        DType d = in.workDtype();
        double epsilon = global(in, "epsilon");
        MergeInputs.InputTensor base = requireBase(in);
        List<MergeInputs.InputTensor> others = in.others();
        for (MergeInputs.InputTensor o : others) {
            if (!o.tensor().shape().equals(base.tensor().shape())) {
                throw usage(in, "tensor size mismatch: " + Shapes.describe(List.of(base, o),
                        List.of(base.tensor(), o.tensor())) + ".");
            }
        }
        float[] b = Numerics.read(base.tensor());
        int n = others.size();
        if (n == 0) {
            return Numerics.write(d, base.tensor().shape(), b);
        }
        List<TaskVectors.TaskVector> tvs = TaskVectors.of(this, in, base);
        int len = b.length;
        float[][] tau = new float[n][];
        for (int i = 0; i < n; i++) {
            tau[i] = tvs.get(i).delta();
        }
        // The comparison |τ| > epsilon happens in the work dtype (the scalar is converted to it).
        float eps = Numerics.round(d, (float) epsilon);
        int[] count = new int[len];
        for (float[] t : tau) {
            for (int j = 0; j < len; j++) {
                if (Math.abs(t[j]) > eps) {
                    count[j]++;
                }
            }
        }
        float[] lambda = new float[n];
        java.util.Arrays.fill(lambda, 1f);
        if (plus) {
            float r = (float) global(in, "r");
            float alpha = (float) global(in, "alpha");
            for (int i = 0; i < n; i++) {
                long shared = 0;
                long unique = 0;
                for (int j = 0; j < len; j++) {
                    if (Math.abs(tau[i][j]) > eps) {
                        if (count[j] > 1) {
                            shared++;
                        } else {
                            unique++;
                        }
                    }
                }
                // float32 tensor arithmetic: shared / max(unique, epsilon), then 1 + r·clamp(ρ, 0, alpha).
                float rho = (float) shared / Math.max((float) unique, (float) epsilon);
                lambda[i] = 1f + r * Math.min(alpha, Math.max(0f, rho));
            }
        }
        float[] out = new float[len];
        for (int j = 0; j < len; j++) {
            float acc = 0f;
            int c = count[j];
            for (int i = 0; i < n; i++) {
                float t = tau[i][j];
                if (!(Math.abs(t) > eps)) {
                    continue;
                }
                if (c == 1) {
                    // ramplus_tl: the unique term is a float32 product (λ is a float32 tensor), not rounded.
                    acc += plus ? t * lambda[i] : t;
                } else {
                    acc += Numerics.round(d, t / c);
                }
            }
            // ram: the model sum is a work-dtype tensor; ramplus_tl: a float32 one, added to the base in float32.
            float merged = plus ? acc : Numerics.round(d, acc);
            out[j] = Numerics.round(d, b[j] + merged);
        }
        return Numerics.write(d, base.tensor().shape(), out);
    }
}
