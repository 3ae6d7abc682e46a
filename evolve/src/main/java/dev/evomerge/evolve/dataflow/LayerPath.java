package dev.evomerge.evolve.dataflow;

import java.util.List;

/**
 * The layers a token passes through, in order; embeddings, final norm and head come from source model 0. A data-flow
 * genome decodes to one; the engine runs it in memory and the exporter writes it as a mergekit passthrough config.
 */
public record LayerPath(List<PathStep> steps) {

    public LayerPath {
        steps = List.copyOf(steps);
    }

    /** The number of decoder layers on the path. */
    public int length() {
        return steps.size();
    }
}
