package dev.evomerge.merge.method;

import dev.evomerge.core.EvomergeException;

import java.util.List;

/** Shared plumbing of the built-in methods: declared parameters, defaults, required-parameter errors. */
abstract class AbstractMergeMethod implements MergeMethod {

    private final String name;
    private final List<ParameterSpec> parameters;
    private final BaseModelUse baseModelUse;
    private final InputArity arity;

    AbstractMergeMethod(String name, BaseModelUse baseModelUse, InputArity arity, List<ParameterSpec> parameters) {
        this.name = name;
        this.parameters = List.copyOf(parameters);
        this.baseModelUse = baseModelUse;
        this.arity = arity;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final List<ParameterSpec> parameters() {
        return parameters;
    }

    @Override
    public final BaseModelUse baseModelUse() {
        return baseModelUse;
    }

    @Override
    public final InputArity arity() {
        return arity;
    }

    @Override
    public String toString() {
        return name;
    }

    /** A global parameter: the configured value, else the default; a missing required one is a usage error. */
    final Double globalOrNull(MergeInputs in, String param) {
        ParameterSpec spec = spec(param, ParameterSpec.Scope.GLOBAL);
        Double v = in.globalParams().get(param);
        if (v != null) {
            return v;
        }
        if (spec.required()) {
            throw EvomergeException.usage("Method " + name + " needs parameter '" + param + "' for tensor "
                    + in.tensorName() + ".");
        }
        return spec.defaultValue();
    }

    final double global(MergeInputs in, String param) {
        Double v = globalOrNull(in, param);
        return v == null ? Double.NaN : v;
    }

    final boolean flag(MergeInputs in, String param) {
        double v = global(in, param);
        return v != 0 && !Double.isNaN(v);
    }

    /**
     * A per-model parameter: the configured value, else the default. A missing required one is a usage error, except
     * for the base model of a method where the base has its own role (mergekit: {@code required and not is_base}).
     */
    final Double perModelOrNull(MergeInputs in, MergeInputs.InputTensor t, String param) {
        ParameterSpec spec = spec(param, ParameterSpec.Scope.PER_MODEL);
        Double v = t.params().get(param);
        if (v != null) {
            return v;
        }
        boolean exempt = t.model().equals(in.baseModel()) && baseModelUse != BaseModelUse.JUST_AN_INPUT;
        if (spec.required() && !exempt) {
            throw EvomergeException.usage("Method " + name + " needs parameter '" + param + "' for model "
                    + t.model() + ", tensor " + in.tensorName() + ".");
        }
        return spec.defaultValue();
    }

    final double perModel(MergeInputs in, MergeInputs.InputTensor t, String param) {
        Double v = perModelOrNull(in, t, param);
        return v == null ? Double.NaN : v;
    }

    /** The base input; a usage error naming the method and tensor when the merge has none. */
    final MergeInputs.InputTensor requireBase(MergeInputs in) {
        MergeInputs.InputTensor b = in.base();
        if (b == null) {
            throw EvomergeException.usage("Method " + name + " needs a base_model, and tensor " + in.tensorName()
                    + " has none" + (in.baseModel() == null ? "" : " (base " + in.baseModel() + " lacks it)") + ".");
        }
        return b;
    }

    final EvomergeException usage(MergeInputs in, String what) {
        return EvomergeException.usage("Method " + name + ", tensor " + in.tensorName() + ": " + what);
    }

    private ParameterSpec spec(String param, ParameterSpec.Scope scope) {
        ParameterSpec spec = parameter(param);
        if (spec == null || spec.scope() != scope) {
            throw new IllegalStateException(name + " does not declare " + scope + " parameter " + param);
        }
        return spec;
    }
}
