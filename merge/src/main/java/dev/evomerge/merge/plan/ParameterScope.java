package dev.evomerge.merge.plan;

import dev.evomerge.merge.config.InputSlice;
import dev.evomerge.merge.config.ModelReference;
import dev.evomerge.merge.config.OutputSlice;
import dev.evomerge.merge.config.ParameterSetting;
import dev.evomerge.merge.config.ParameterValue;
import dev.evomerge.merge.config.Parameters;

/**
 * Where one output tensor's parameters are looked up (mergekit's {@code ConfigReader}): its output slice (null for
 * none), the module's and the global parameters, and the position {@code t} in the slice.
 *
 * <p>Precedence, first non-null wins: the first source of the slice naming {@code model} whose parameters set the
 * name (per-model lookups only); the slice's parameters; the module's; the global ones. A conditional list whose
 * filters match nothing yields null, so the lookup falls through to the next level.
 *
 * @param slice  the output slice, or null
 * @param module module-level parameters ({@code modules:} configs), or empty
 * @param global global parameters
 * @param t      position in the slice: {@code idx/(L-1)}, 1 for a one-layer slice, 0 for pre/post weights
 */
public record ParameterScope(OutputSlice slice, Parameters module, Parameters global, double t) {

    public ParameterScope {
        module = module == null ? Parameters.empty() : module;
        global = global == null ? Parameters.empty() : global;
    }

    /**
     * The value of parameter {@code name}, or null when no level sets it.
     *
     * @param model      the model for per-model parameters; null for global parameters (then source-level settings
     *                   are never consulted, as in mergekit)
     * @param tensorName the name filters are tested against: the model's input tensor name for per-model parameters,
     *                   the output tensor name for global ones
     */
    public ParameterValue lookup(String name, ModelReference model, String tensorName) {
        if (slice != null) {
            if (model != null) {
                for (InputSlice s : slice.sources()) {
                    if (s.model().equals(model) && s.parameters().contains(name)) {
                        ParameterValue v = s.parameters().get(name).evaluate(tensorName, t);
                        if (v != null) {
                            return v;
                        }
                    }
                }
            }
            ParameterValue v = evaluate(slice.parameters(), name, tensorName);
            if (v != null) {
                return v;
            }
        }
        ParameterValue v = evaluate(module, name, tensorName);
        if (v != null) {
            return v;
        }
        return evaluate(global, name, tensorName);
    }

    private ParameterValue evaluate(Parameters params, String name, String tensorName) {
        ParameterSetting s = params.get(name);
        return s == null ? null : s.evaluate(tensorName, t);
    }

    /** {@code t} for layer {@code idx} (0-based) of a slice of {@code length} layers: {@code idx/(L-1)}, 1 if L = 1. */
    public static double layerT(int idx, int length) {
        return length <= 1 ? 1.0 : (double) idx / (length - 1);
    }
}
