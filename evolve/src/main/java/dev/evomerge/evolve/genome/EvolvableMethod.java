package dev.evomerge.evolve.genome;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.merge.method.BaseModelUse;
import dev.evomerge.merge.method.MergeMethod;
import dev.evomerge.merge.method.MergeMethods;
import dev.evomerge.merge.method.ParameterSpec;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A merge method as a genome evolves it, read from the method's own declaration: its genes are the parameters it
 * declares as genes ({@link ParameterSpec#gene()}), in declared order. A method fits the genome's axes when its genes
 * are all per-model (one gene per layer group, model and filter), or, for a method whose base is the t = 0 end
 * (slerp), when its one gene is global: then each model gets a gene per layer group, and the top two pick the ends
 * and the value (see {@link Genome#decode}).
 *
 * @param pairwise true for the top-two decoding of a method whose base selects the t = 0 end
 */
public record EvolvableMethod(MergeMethod method, List<String> genes, boolean pairwise) {

    /**
     * The normalize value a per-model genome writes when genome.normalize is unset, for the methods where it is not
     * the method's own default: evolved configs have always said normalize: true for ties, dare_ties and linear and
     * false for every other method, and they keep doing so, so that a run resumed from an older run store, and the
     * best_config.yaml it writes, merge as before. Every other method gets its declared default.
     */
    private static final Map<String, Boolean> NORMALIZE_UNLIKE_THE_METHOD = Map.of("dare_ties", true, "della", false);

    public EvolvableMethod {
        genes = List.copyOf(genes);
    }

    /** The method as a genome evolves it, or empty when it declares no genes or they do not fit the genome's axes. */
    public static Optional<EvolvableMethod> of(MergeMethod method) {
        List<ParameterSpec> genes = method.parameters().stream().filter(ParameterSpec::gene).toList();
        List<String> names = genes.stream().map(ParameterSpec::name).toList();
        if (genes.isEmpty()) {
            return Optional.empty();
        }
        if (method.baseModelUse() == BaseModelUse.SELECTS_T0) {
            boolean oneGlobal = genes.size() == 1 && genes.get(0).scope() == ParameterSpec.Scope.GLOBAL;
            return oneGlobal ? Optional.of(new EvolvableMethod(method, names, true)) : Optional.empty();
        }
        boolean perModel = genes.stream().allMatch(p -> p.scope() == ParameterSpec.Scope.PER_MODEL);
        return perModel ? Optional.of(new EvolvableMethod(method, names, false)) : Optional.empty();
    }

    /** The built-in method called {@code name}, as {@link #named(String, List)} over {@link MergeMethods#all()}. */
    public static EvolvableMethod named(String name) {
        return named(name, MergeMethods.all());
    }

    /**
     * The method called {@code name} among {@code methods}; a name that is not there or cannot be evolved is a usage
     * error listing the methods that can.
     */
    public static EvolvableMethod named(String name, List<MergeMethod> methods) {
        for (MergeMethod m : methods) {
            if (m.name().equals(name)) {
                Optional<EvolvableMethod> e = of(m);
                if (e.isPresent()) {
                    return e.get();
                }
            }
        }
        List<String> evolvable = methods.stream().filter(m -> of(m).isPresent()).map(MergeMethod::name).sorted()
                .toList();
        throw EvomergeException.usage("genome.merge_method '" + name + "' is not supported for evolution: use one of "
                + String.join(", ", evolvable) + ".");
    }

    public String name() {
        return method.name();
    }

    /** True when the method merges task vectors against the base, so genome.base_model must be given. */
    public boolean needsBase() {
        return method.baseModelUse() == BaseModelUse.REQUIRED;
    }

    /** The normalize value a per-model genome writes when genome.normalize is unset. */
    public boolean normalizeByDefault() {
        Boolean kept = NORMALIZE_UNLIKE_THE_METHOD.get(name());
        if (kept != null) {
            return kept;
        }
        ParameterSpec normalize = method.parameter("normalize");
        return normalize != null && normalize.kind() == ParameterSpec.Kind.BOOLEAN
                && normalize.defaultValue() != null && normalize.defaultValue() != 0;
    }
}
