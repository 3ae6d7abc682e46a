package dev.evomerge.evolve.genome;

import java.util.List;

/**
 * The genome file's {@code genome:} block (docs/evolution.md): which models, which method, how layers are grouped,
 * and the optional switches. {@code normalize} is null when the file leaves it to the method's default.
 */
public record GenomeDefinition(List<String> models, String mergeMethod, String baseModel, String tokenizerSource,
                               int layerGranularity, Boolean normalize, boolean allowNegativeWeights, boolean smooth,
                               List<String> filters) {

    public GenomeDefinition {
        models = List.copyOf(models);
        filters = List.copyOf(filters);
    }
}
