package dev.evomerge.evolve.genome;

import java.util.List;

/**
 * The shape of a genome, (layer groups, models, parameter sets, parameters), flattened row-major:
 * flat index = ((g * M + m) * S + s) * P + p, as LLM-Evo-Merge and mergekit-evolve lay it out.
 */
public record GeneLayout(int layerGroups, int models, int parameterSets, List<String> parameters) {

    public GeneLayout {
        parameters = List.copyOf(parameters);
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
