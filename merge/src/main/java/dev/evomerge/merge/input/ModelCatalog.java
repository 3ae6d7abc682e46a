package dev.evomerge.merge.input;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.Resources;
import dev.evomerge.core.model.ArchitectureTemplate;
import dev.evomerge.core.model.Architectures;
import dev.evomerge.core.model.ModelConfig;
import dev.evomerge.core.model.ModelDirectory;
import dev.evomerge.core.tensor.TensorSource;
import dev.evomerge.merge.config.ModelReference;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The models a config names, resolved to local directories and opened once (headers and memory maps only). Model
 * references must be local directories: evomerge never downloads. Close it to unmap the weights.
 */
public final class ModelCatalog implements AutoCloseable {

    private final Map<ModelReference, InputModelInfo> models;
    private final List<ModelDirectory> opened;

    private ModelCatalog(Map<ModelReference, InputModelInfo> models, List<ModelDirectory> opened) {
        this.models = models;
        this.opened = opened;
    }

    /**
     * Opens every model in {@code references} (in order). A path listed in {@code directories} is read there; any other
     * relative path resolves against {@code baseDir} (the working directory, as in mergekit).
     * Throws a usage error for a LoRA reference, a reference that is not a local directory, or a directory
     * without config.json or safetensors weights.
     */
    public static ModelCatalog open(List<ModelReference> references, Path baseDir, Map<String, Path> directories,
                                    Consumer<String> warnings) {
        Map<ModelReference, InputModelInfo> out = new LinkedHashMap<>();
        List<ModelDirectory> opened = new ArrayList<>();
        try {
            Map<ModelReference, ModelDirectory> dirs = new LinkedHashMap<>();
            for (ModelReference ref : references) {
                if (dirs.containsKey(ref)) {
                    continue;
                }
                ModelDirectory dir = ModelDirectory.open(localDirectory(ref, baseDir, directories, warnings));
                opened.add(dir);
                dirs.put(ref, dir);
            }
            // Models without a template share one inferred template (a weight missing in one of them is optional).
            Map<ModelReference, ModelConfig> configs = new LinkedHashMap<>();
            List<ModelReference> unknown = new ArrayList<>();
            for (Map.Entry<ModelReference, ModelDirectory> e : dirs.entrySet()) {
                ModelConfig config = e.getValue().config();
                if (e.getKey().overrideArchitecture() != null) {
                    config = config.with("architectures", JsonNodeFactory.instance.arrayNode()
                            .add(e.getKey().overrideArchitecture()));
                }
                configs.put(e.getKey(), config);
                if (Architectures.builtIn().find(config).isEmpty()) {
                    unknown.add(e.getKey());
                }
            }
            ArchitectureTemplate inferred = unknown.isEmpty() ? null : Architectures.inferAll(
                    unknown.stream().map(r -> dirs.get(r).tensors().tensorNames()).toList());
            for (Map.Entry<ModelReference, ModelDirectory> e : dirs.entrySet()) {
                ModelReference ref = e.getKey();
                ModelDirectory dir = e.getValue();
                ModelConfig config = configs.get(ref);
                TensorSource tensors = dir.tensors();
                Optional<ArchitectureTemplate> known = Architectures.builtIn().find(config);
                ArchitectureTemplate arch = known.orElse(inferred);
                int layers = known.isPresent() ? layerCount(known.get(), config, dir.path())
                        : Architectures.infer(tensors.tensorNames()).numLayers(config);
                out.put(ref, new InputModelInfo(ref, dir.path(), config, arch, known.isEmpty(), layers, tensors));
            }
            return new ModelCatalog(out, opened);
        } catch (RuntimeException e) {
            opened.forEach(ModelDirectory::close);
            throw e;
        }
    }

    private static int layerCount(ArchitectureTemplate arch, ModelConfig config, Path dir) {
        try {
            return arch.numLayers(config);
        } catch (EvomergeException e) {
            throw EvomergeException.usage("Model " + dir + ": cannot read its layer count: " + e.getMessage(), e);
        }
    }

    /**
     * The local directory of a reference: {@code directories.get(path)}, else {@code baseDir/path}; the sentence of the
     * usage error names the absolute path looked at and says what to do instead.
     */
    public static Path localDirectory(ModelReference ref, Path baseDir, Map<String, Path> directories,
                                      Consumer<String> warnings) {
        if (ref.hasLora()) {
            throw EvomergeException.usage("Model reference '" + ref + "' applies the LoRA adapter '" + ref.loraPath()
                    + "'; evomerge does not apply LoRA adapters, so merge the adapter into its model first"
                    + " (e.g. with PEFT's merge_and_unload) and reference that directory.");
        }
        Path listed = directories.get(ref.path());
        Path p = (listed != null ? listed : baseDir.resolve(ref.path())).toAbsolutePath().normalize();
        if (!Files.isDirectory(p)) {
            String where = "Model '" + ref.path() + "' (looked at " + p + ") is not a local directory";
            if (Path.of(ref.path()).isAbsolute()) {
                throw EvomergeException.usage(where + "; check the path (evomerge does not download models).");
            }
            throw EvomergeException.usage(where + "; evomerge does not download models, so download it first (e.g. 'hf"
                    + " download " + ref.path() + " --local-dir DIR') and reference DIR.");
        }
        if (ref.revision() != null) {
            warnings.accept("Model '" + ref + "': revision '" + ref.revision()
                    + "' is ignored because " + p + " is a local directory.");
        }
        return p;
    }

    /** The model behind a reference; the planner only asks for models it opened. */
    public InputModelInfo get(ModelReference ref) {
        InputModelInfo m = models.get(ref);
        if (m == null) {
            throw new IllegalArgumentException("model " + ref + " was not opened");
        }
        return m;
    }

    public boolean contains(ModelReference ref) {
        return models.containsKey(ref);
    }

    /** All opened models, in the order they were named. */
    public List<InputModelInfo> all() {
        return List.copyOf(models.values());
    }

    /** Unmaps every model; the first failure is thrown after all are closed. */
    @Override
    public void close() {
        Resources.closeAll(opened, ModelDirectory::close);
    }
}
