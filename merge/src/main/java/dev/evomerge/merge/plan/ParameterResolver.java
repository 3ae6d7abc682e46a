package dev.evomerge.merge.plan;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.merge.config.MergeConfig;
import dev.evomerge.merge.config.ParameterValue;
import dev.evomerge.merge.method.BaseModelUse;
import dev.evomerge.merge.method.MergeMethod;
import dev.evomerge.merge.method.ParameterSpec;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Resolves every declared parameter of a method for every tensor of a plan (precedence, filters and gradients of
 * {@link ParameterScope}) and checks the values before anything is merged: a missing required parameter, a string
 * where a number belongs, a non-finite number, a fraction (density, gamma, select_topk) outside [0, 1] and della's
 * {@code density ± epsilon} range are usage errors naming method, parameter, model and tensor.
 */
public final class ParameterResolver {

    private static final Set<String> DELLA = Set.of("della", "della_linear");
    /**
     * Parameters that are fractions of a tensor's elements. mergekit treats values above 1 as 1 and (depending on the
     * method) values below 0 as 0 or crashes; a value outside [0, 1] in a config is a typo, so it is refused.
     */
    private static final Set<String> FRACTIONS = Set.of("density", "gamma", "select_topk");

    private ParameterResolver() {
    }

    /** Parameters for every job of the plan, from {@code config} (which must have the plan's layout). */
    public static List<JobParameters> resolve(MergeMethod method, MergeConfig config, NormalizedConfig normalized,
                                              List<TensorJob> jobs) {
        List<JobParameters> out = new ArrayList<>(jobs.size());
        for (TensorJob job : jobs) {
            out.add(resolve(method, config, normalized, job));
        }
        return out;
    }

    /** Parameters of one job. */
    public static JobParameters resolve(MergeMethod method, MergeConfig config, NormalizedConfig normalized,
                                        TensorJob job) {
        ParameterScope scope = new ParameterScope(normalized.slices().get(job.slice()), normalized.module(),
                config.parameters(), job.t());
        Map<String, Double> global = new HashMap<>();
        List<Map<String, Double>> perInput = new ArrayList<>(job.inputs().size());
        for (ParameterSpec spec : method.parameters()) {
            if (spec.scope() != ParameterSpec.Scope.GLOBAL) {
                continue;
            }
            ParameterValue v = scope.lookup(spec.name(), null, job.name());
            if (v != null) {
                global.put(spec.name(), number(method, spec, v, null, job));
            } else if (spec.required()) {
                throw EvomergeException.usage("Method " + method.name() + " needs parameter '" + spec.name()
                        + "' for tensor " + job.name() + "; set it under parameters.");
            }
        }
        for (JobInput input : job.inputs()) {
            Map<String, Double> params = new HashMap<>();
            boolean exempt = input.model().equals(job.baseModel())
                    && method.baseModelUse() != BaseModelUse.JUST_AN_INPUT;
            for (ParameterSpec spec : method.parameters()) {
                if (spec.scope() != ParameterSpec.Scope.PER_MODEL) {
                    continue;
                }
                ParameterValue v = scope.lookup(spec.name(), input.model(), input.weightName());
                if (v != null) {
                    params.put(spec.name(), number(method, spec, v, input, job));
                } else if (spec.required() && !exempt) {
                    throw EvomergeException.usage("Method " + method.name() + " needs parameter '" + spec.name()
                            + "' for model " + input.model() + ", tensor " + input.weightName() + ".");
                }
            }
            if (DELLA.contains(method.name()) && !exempt) {
                checkDellaRange(method, params, input, job);
            }
            perInput.add(params);
        }
        return new JobParameters(global, perInput);
    }

    private static double number(MergeMethod method, ParameterSpec spec, ParameterValue v, JobInput input,
                                 TensorJob job) {
        if (v instanceof ParameterValue.Text t) {
            throw EvomergeException.usage("Method " + method.name() + ": parameter '" + spec.name() + "'"
                    + (input == null ? "" : " for model " + input.model()) + ", tensor " + job.name() + " is '"
                    + t.value() + "', but it must be " + (spec.kind() == ParameterSpec.Kind.BOOLEAN
                    ? "true or false." : "a number."));
        }
        double x = v.asDouble();
        String where = "Method " + method.name() + ": parameter '" + spec.name() + "'"
                + (input == null ? "" : " for model " + input.model()) + ", tensor " + job.name() + " is ";
        if (!Double.isFinite(x)) {
            throw EvomergeException.usage(where + x + "; it must be a finite number.");
        }
        if (FRACTIONS.contains(spec.name()) && (x < 0 || x > 1)) {
            throw EvomergeException.usage(where + x + "; it is a fraction and must be between 0 and 1.");
        }
        return x;
    }

    /** mergekit's della_magprune: for 0 < density < 1, density - epsilon must be > 0 and density + epsilon < 1. */
    private static void checkDellaRange(MergeMethod method, Map<String, Double> params, JobInput input,
                                        TensorJob job) {
        double density = value(method, params, "density");
        double epsilon = value(method, params, "epsilon");
        if (density > 0 && density < 1 && (density - epsilon <= 0 || density + epsilon >= 1)) {
            throw EvomergeException.usage("Method " + method.name() + ", model " + input.model() + ", tensor "
                    + job.name() + ": epsilon " + epsilon + " is out of range for density " + density
                    + "; it needs 0 < density - epsilon and density + epsilon < 1.");
        }
    }

    private static double value(MergeMethod method, Map<String, Double> params, String name) {
        Double v = params.get(name);
        if (v != null) {
            return v;
        }
        ParameterSpec spec = method.parameter(name);
        return spec == null || spec.defaultValue() == null ? Double.NaN : spec.defaultValue();
    }
}
