package dev.evomerge.evolve.dataflow;

import dev.evomerge.merge.config.MergeConfig;
import dev.evomerge.merge.config.ModelReference;

import java.util.List;

/**
 * Writes a data-flow path as a plain merge config (mergekit passthrough), the recipe a data-flow candidate is stored
 * and exported as: best_config.yaml of a data-flow run is a config `evomerge merge` and mergekit run as they are.
 */
@FunctionalInterface
public interface PathExport {

    /** The exporter of the engine's rule (see {@link PassthroughExport}), in the source models' stored dtype. */
    PathExport PASSTHROUGH = (path, sources) -> PassthroughExport.toConfig(path, sources, null);

    /**
     * @param sources the run's source models, in the path's model order (model 0 gives embeddings, norm and head)
     */
    MergeConfig export(LayerPath path, List<ModelReference> sources);
}
