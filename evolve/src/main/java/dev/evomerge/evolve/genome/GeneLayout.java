package dev.evomerge.evolve.genome;

import dev.evomerge.core.EvomergeException;

import java.util.List;
import java.util.Map;

/**
 * The shape of a genome, (layer groups, models, parameter sets, parameters), flattened row-major:
 * flat index = ((g * M + m) * S + s) * P + p, as LLM-Evo-Merge and mergekit-evolve lay it out.
 */
public record GeneLayout(int layerGroups, int models, int parameterSets, List<String> parameters) {

    /** Genes per method; methods beyond LLM-Evo-Merge's five map their natural parameters the same way. */
    static final Map<String, List<String>> PARAMETERS_BY_METHOD = Map.of(
            "linear", List.of("weight"),
            "task_arithmetic", List.of("weight"),
            "ties", List.of("weight", "density"),
            "dare_ties", List.of("weight", "density"),
            "dare_linear", List.of("weight", "density"),
            "della", List.of("weight", "density"),
            "breadcrumbs", List.of("weight", "density"),
            "slerp", List.of("t"));

    public GeneLayout {
        parameters = List.copyOf(parameters);
    }

    /** Names of the methods a genome can use, sorted. */
    public static List<String> methods() {
        return PARAMETERS_BY_METHOD.keySet().stream().sorted().toList();
    }

    static List<String> parametersOf(String method) {
        List<String> p = PARAMETERS_BY_METHOD.get(method);
        if (p == null) {
            throw EvomergeException.usage("genome.merge_method '" + method + "' is not supported for evolution: use one of "
                    + String.join(", ", methods()) + ".");
        }
        return p;
    }

    public int parametersPerSet() {
        return parameters.size();
    }

    /** Total number of genes N = G * M * S * P. */
    public int size() {
        return layerGroups * models * parameterSets * parameters.size();
    }

    /** Flat index of (layer group, model, parameter set, parameter). */
    public int index(int g, int m, int s, int p) {
        return ((g * models + m) * parameterSets + s) * parameters.size() + p;
    }

    /** The dimensions as a Python tuple, e.g. "(16, 2, 1, 1)" (LLM-Evo-Merge shows the LLM this form). */
    public String dimensionsText() {
        return "(" + layerGroups + ", " + models + ", " + parameterSets + ", " + parameters.size() + ")";
    }

    public int[] dimensions() {
        return new int[] {layerGroups, models, parameterSets, parameters.size()};
    }
}
