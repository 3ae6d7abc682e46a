package dev.evomerge.merge.config;

import java.util.List;

/**
 * One entry of {@code slices:}: sources with equal layer counts merged layer by layer into consecutive output layers.
 *
 * @param baseModel      overrides the global base model for this slice's tensors, or null
 * @param residualWeight parsed for compatibility; mergekit does not use it either
 */
public record OutputSlice(List<InputSlice> sources, ModelReference baseModel, Parameters parameters,
                          Double residualWeight) {

    public OutputSlice {
        sources = List.copyOf(sources);
        parameters = parameters == null ? Parameters.empty() : parameters;
    }
}
