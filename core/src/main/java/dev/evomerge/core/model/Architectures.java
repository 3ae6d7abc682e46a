package dev.evomerge.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.JsonInput;
import dev.evomerge.core.io.Reasons;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The registry of architecture templates: the built-in JSON resources, lookup by a model's config, and inference
 * from tensor names for architectures without a template.
 */
public final class Architectures {

    /** Resource files under dev/evomerge/core/model/architectures/, one per built-in architecture. */
    static final List<String> BUILT_IN = List.of("llama", "mistral", "qwen2", "qwen3", "gemma2", "phi3");

    private static final String RESOURCE_DIR = "architectures/";
    private static final Set<String> TEMPLATE_KEYS =
            Set.of("model_type", "architectures", "num_layers_config_key", "override_num_layers", "pre_weights",
                    "layer_weights", "post_weights");
    private static final Set<String> WEIGHT_KEYS = Set.of("name", "is_embed", "optional", "tied_names");

    private final List<ArchitectureTemplate> templates;

    private Architectures(List<ArchitectureTemplate> templates) {
        this.templates = List.copyOf(templates);
    }

    /** The templates shipped with evomerge (loaded once; immutable). */
    public static Architectures builtIn() {
        return BuiltIn.INSTANCE;
    }

    /** A registry over the given templates (tests, plug-ins). */
    public static Architectures of(List<ArchitectureTemplate> templates) {
        return new Architectures(templates);
    }

    public List<ArchitectureTemplate> all() {
        return templates;
    }

    /** The template for a config's architectures[0]; when several claim it, the one whose model_type matches. */
    public Optional<ArchitectureTemplate> find(ModelConfig config) {
        List<String> classes = config.architectures();
        if (classes.isEmpty()) {
            return Optional.empty();
        }
        String modelType = config.has("model_type") ? config.modelType() : null;
        List<ArchitectureTemplate> claims = templates.stream()
                .filter(t -> t.architectures().contains(classes.getFirst())).toList();
        if (claims.size() <= 1) {
            return claims.stream().findFirst();
        }
        List<ArchitectureTemplate> matching = claims.stream().filter(t -> t.modelType().equals(modelType)).toList();
        if (matching.size() != 1) {
            throw EvomergeException.usage("Config " + config.source() + ": architecture " + classes.getFirst()
                    + " has " + claims.size() + " templates and model_type '" + modelType + "' does not pick one.");
        }
        return Optional.of(matching.getFirst());
    }

    /** The template for the config, or one inferred from the model's tensor names when none is known. */
    public ArchitectureTemplate resolve(ModelConfig config, List<String> tensorNames) {
        return find(config).orElseGet(() -> ArchitectureInference.infer(List.of(tensorNames)));
    }

    /** An architecture inferred from one model's tensor names (see {@link ArchitectureInference}). */
    public static ArchitectureTemplate infer(List<String> tensorNames) {
        return ArchitectureInference.infer(List.of(tensorNames));
    }

    /** An architecture inferred from several models' tensor names; a weight missing from any of them is optional. */
    public static ArchitectureTemplate inferAll(List<List<String>> tensorNamesPerModel) {
        return ArchitectureInference.infer(tensorNamesPerModel);
    }

    /** Parses a template in evomerge's JSON schema; every key is checked so that typos fail loudly. */
    public static ArchitectureTemplate parse(String json, String source) {
        JsonNode root;
        try {
            root = JsonInput.readTree(new ObjectMapper(), json);
        } catch (java.io.IOException e) { // only parse errors: the text is in memory
            throw EvomergeException.usage("Architecture template " + source + " is not valid JSON: "
                    + Reasons.of(e) + ".", e);
        }
        if (root == null || !root.isObject()) {
            throw EvomergeException.usage("Architecture template " + source + " must be a JSON object.");
        }
        checkKeys(root, TEMPLATE_KEYS, source);
        String modelType = text(root, "model_type", source);
        List<String> classes = new ArrayList<>();
        JsonNode archs = root.get("architectures");
        if (archs == null || !archs.isArray() || archs.isEmpty()) {
            throw EvomergeException.usage("Architecture template " + source
                    + " needs a non-empty 'architectures' list.");
        }
        archs.forEach(a -> classes.add(a.asText()));
        JsonNode key = root.get("num_layers_config_key");
        Optional<String> layerKey = key == null || key.isNull() ? Optional.empty() : Optional.of(key.asText());
        JsonNode fixed = root.get("override_num_layers");
        OptionalInt fixedLayers = fixed == null || fixed.isNull() ? OptionalInt.empty() : OptionalInt.of(fixed.asInt());
        try {
            return new ArchitectureTemplate(modelType, classes, layerKey, fixedLayers,
                    weights(root, "pre_weights", source), weights(root, "layer_weights", source),
                    weights(root, "post_weights", source));
        } catch (IllegalArgumentException e) {
            throw EvomergeException.usage("Architecture template " + source + ": " + e.getMessage() + ".", e);
        }
    }

    private static List<WeightTemplate> weights(JsonNode root, String key, String source) {
        JsonNode list = root.get(key);
        if (list == null || !list.isArray()) {
            throw EvomergeException.usage("Architecture template " + source + " needs a '" + key + "' list.");
        }
        List<WeightTemplate> out = new ArrayList<>();
        for (JsonNode w : list) {
            if (!w.isObject()) {
                throw EvomergeException.usage("Architecture template " + source + ": entries of '" + key
                        + "' must be objects.");
            }
            checkKeys(w, WEIGHT_KEYS, source);
            List<String> tied = new ArrayList<>();
            JsonNode t = w.get("tied_names");
            if (t != null) {
                t.forEach(n -> tied.add(n.asText()));
            }
            out.add(new WeightTemplate(text(w, "name", source), w.path("is_embed").asBoolean(false),
                    w.path("optional").asBoolean(false), tied));
        }
        return out;
    }

    private static void checkKeys(JsonNode node, Set<String> allowed, String source) {
        Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            String n = names.next();
            if (!allowed.contains(n)) {
                throw EvomergeException.usage("Architecture template " + source + " has unknown key '" + n + "'.");
            }
        }
    }

    private static String text(JsonNode node, String key, String source) {
        JsonNode v = node.get(key);
        if (v == null || !v.isTextual()) {
            throw EvomergeException.usage("Architecture template " + source + " needs a string '" + key + "'.");
        }
        return v.textValue();
    }

    /** Loads the built-in templates on first use. */
    private static final class BuiltIn {
        static final Architectures INSTANCE = load();

        private static Architectures load() {
            List<ArchitectureTemplate> list = new ArrayList<>();
            for (String name : BUILT_IN) {
                String resource = RESOURCE_DIR + name + ".json";
                try (InputStream in = Architectures.class.getResourceAsStream(resource)) {
                    if (in == null) {
                        throw new IllegalStateException("missing built-in architecture resource " + resource);
                    }
                    list.add(parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), resource));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return new Architectures(list);
        }
    }
}
