package dev.evomerge.evolve.genome;

import dev.evomerge.core.tensor.Tensor;
import dev.evomerge.merge.method.BaseModelUse;
import dev.evomerge.merge.method.InputArity;
import dev.evomerge.merge.method.MergeInputs;
import dev.evomerge.merge.method.MergeMethod;
import dev.evomerge.merge.method.ParameterSpec;

import java.util.List;

/**
 * A merge method that exists only in tests, to show that declaring genes is all a method needs to be evolved: two
 * per-model genes (weight, scale), one per-model parameter that is not a gene (offset), and a required base. The
 * genome never merges, so {@link #merge} is not implemented.
 */
final class ScaledSumMethod implements MergeMethod {

    static final String NAME = "scaled_sum";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<ParameterSpec> parameters() {
        return List.of(
                ParameterSpec.bool("normalize", ParameterSpec.Scope.GLOBAL, true),
                ParameterSpec.required("weight", ParameterSpec.Scope.PER_MODEL, ParameterSpec.Kind.NUMBER).asGene(),
                ParameterSpec.number("offset", ParameterSpec.Scope.PER_MODEL, 0.0),
                ParameterSpec.number("scale", ParameterSpec.Scope.PER_MODEL, 1.0).asGene());
    }

    @Override
    public BaseModelUse baseModelUse() {
        return BaseModelUse.REQUIRED;
    }

    @Override
    public InputArity arity() {
        return InputArity.atLeast(1);
    }

    @Override
    public Tensor merge(MergeInputs in) {
        throw new UnsupportedOperationException("a genome test method; nothing merges with it");
    }
}
