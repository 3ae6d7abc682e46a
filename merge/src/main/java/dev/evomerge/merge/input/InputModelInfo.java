package dev.evomerge.merge.input;

import dev.evomerge.core.model.ArchitectureTemplate;
import dev.evomerge.core.model.ModelConfig;
import dev.evomerge.core.tensor.TensorInfo;
import dev.evomerge.core.tensor.TensorSource;
import dev.evomerge.merge.config.ModelReference;

import java.nio.file.Path;
import java.util.Optional;

/**
 * One input model as the planner sees it: where it is, its config, its architecture, its layer count and its
 * tensors (headers only until a merge reads them).
 *
 * @param inferred true when the architecture was inferred from tensor names (no built-in template)
 */
public record InputModelInfo(ModelReference reference, Path directory, ModelConfig config,
                             ArchitectureTemplate architecture, boolean inferred, int numLayers,
                             TensorSource tensors) {

    /** The model id handed to merge methods: the reference as written in the config. */
    public String id() {
        return reference.toString();
    }

    public Optional<TensorInfo> info(String tensorName) {
        return tensors.info(tensorName);
    }

    /** The architecture's class name (architectures[0]) for the mixed-architecture check and messages. */
    public String architectureName() {
        return config.architectures().isEmpty() ? "an unnamed architecture" : config.architecture();
    }
}
