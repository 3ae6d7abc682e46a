package dev.evomerge.core.model;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.Reasons;
import dev.evomerge.core.safetensors.SafetensorsModel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A Hugging Face model directory: config.json, safetensors weights (opened on first use) and the tokenizer and
 * generation files that travel with a model. Close it to unmap the weights.
 */
public final class ModelDirectory implements AutoCloseable {

    public static final String CONFIG_FILE = "config.json";

    /** Files copied next to a merged or derived model when the source has them, in copy order. */
    public static final List<String> AUXILIARY_FILES = List.of(
            "generation_config.json", "tokenizer.json", "tokenizer_config.json", "tokenizer.model",
            "special_tokens_map.json", "added_tokens.json", "vocab.json", "merges.txt",
            "chat_template.jinja", "chat_template.json");

    private final Path path;
    private final ModelConfig config;
    private SafetensorsModel tensors;

    private ModelDirectory(Path path, ModelConfig config) {
        this.path = path;
        this.config = config;
    }

    /**
     * The last segment of a model path or hub id ({@code org/name} gives {@code name}), for table headers and chart
     * labels; backslashes count as separators and trailing ones are ignored.
     */
    public static String shortName(String model) {
        String n = model.replace('\\', '/');
        while (n.endsWith("/")) {
            n = n.substring(0, n.length() - 1);
        }
        return n.substring(n.lastIndexOf('/') + 1);
    }

    /** Opens a model directory; a missing directory or config.json is a usage error naming the path. */
    public static ModelDirectory open(Path dir) {
        if (!Files.exists(dir)) {
            throw EvomergeException.usage("Model directory " + dir + " does not exist.");
        }
        if (!Files.isDirectory(dir)) {
            throw EvomergeException.usage("Model path " + dir + " is not a directory.");
        }
        Path configFile = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(configFile)) {
            throw EvomergeException.usage("Model directory " + dir + " has no " + CONFIG_FILE + ".");
        }
        return new ModelDirectory(dir, ModelConfig.read(configFile));
    }

    public Path path() {
        return path;
    }

    public ModelConfig config() {
        return config;
    }

    /** The weights, opened (memory-mapped) on the first call and kept until {@link #close()}. */
    public synchronized SafetensorsModel tensors() {
        if (tensors == null) {
            tensors = SafetensorsModel.open(path);
        }
        return tensors;
    }

    /** The built-in template for this model's config, else one inferred from its tensor names. */
    public ArchitectureTemplate architecture() {
        return Architectures.builtIn().resolve(config, tensors().tensorNames());
    }

    /**
     * Copies every {@link #AUXILIARY_FILES} entry this directory has into {@code target} (replacing files of the same
     * name) and returns the names copied.
     */
    public List<String> copyAuxiliaryFiles(Path target) {
        List<String> copied = new ArrayList<>();
        for (String name : AUXILIARY_FILES) {
            Path from = path.resolve(name);
            if (Files.isRegularFile(from)) {
                try {
                    Files.copy(from, target.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                } catch (IOException e) {
                    throw EvomergeException.runtime("Cannot copy " + from + " to " + target + ": " + Reasons.of(e), e);
                }
                copied.add(name);
            }
        }
        return List.copyOf(copied);
    }

    @Override
    public synchronized void close() {
        if (tensors != null) {
            tensors.close();
            tensors = null;
        }
    }

    @Override
    public String toString() {
        return "ModelDirectory[" + path + "]";
    }
}
