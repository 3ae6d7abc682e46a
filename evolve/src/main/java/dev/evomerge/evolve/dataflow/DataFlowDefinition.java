package dev.evomerge.evolve.dataflow;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.TextFiles;
import dev.evomerge.core.io.UnknownKeys;

import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The genome file's {@code data_flow:} section (docs/evolution.md, "Data-flow genome"): how often the source models'
 * layers are laid out ({@code repeats}), how the residual stream is scaled ({@code scaling}, in
 * [{@code scale_range[0]}, {@code scale_range[1]}]), and the longest path evaluated ({@code max_layers}; null = 1.5x
 * the first model's depth).
 */
public record DataFlowDefinition(int repeats, Scaling scaling, double scaleLow, double scaleHigh, Integer maxLayers) {

    public static final int DEFAULT_REPEATS = 2;
    public static final double DEFAULT_SCALE_LOW = 0.5;
    public static final double DEFAULT_SCALE_HIGH = 2.0;
    private static final Set<String> KEYS = Set.of("repeats", "scaling", "scale_range", "max_layers");

    public DataFlowDefinition {
        if (repeats < 1) {
            throw EvomergeException.usage("data_flow.repeats must be at least 1, got " + repeats + ".");
        }
        if (!(scaleLow > 0) || !(scaleHigh >= scaleLow) || !Double.isFinite(scaleHigh)) {
            throw EvomergeException.usage("data_flow.scale_range must be two positive numbers [low, high] with low <= high,"
                    + " got [" + scaleLow + ", " + scaleHigh + "].");
        }
        if (maxLayers != null && maxLayers < 2) {
            throw EvomergeException.usage("data_flow.max_layers must be at least 2 (the forced first and last layer), got "
                    + maxLayers + ".");
        }
    }

    /** The defaults: 2 repeats, model-pair scaling in [0.5, 2], max_layers 1.5x the first model's depth. */
    public static DataFlowDefinition defaults() {
        return new DataFlowDefinition(DEFAULT_REPEATS, Scaling.MODEL_PAIR, DEFAULT_SCALE_LOW, DEFAULT_SCALE_HIGH, null);
    }

    /** The {@code data_flow:} section of a genome file, empty when it has none. */
    public static Optional<DataFlowDefinition> read(Path genomeFile, Consumer<String> warn) {
        return parse(TextFiles.readUtf8(genomeFile, "Evolution config"), genomeFile.toString(), warn);
    }

    static Optional<DataFlowDefinition> parse(String text, String where, Consumer<String> warn) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(text);
        } catch (JsonProcessingException e) {
            throw EvomergeException.usage(where + ": malformed YAML (" + e.getOriginalMessage() + ").", e);
        }
        if (root == null || !root.has("data_flow")) {
            return Optional.empty();
        }
        JsonNode d = root.get("data_flow");
        if (d.isNull()) {
            return Optional.of(defaults());
        }
        if (!d.isObject()) {
            throw EvomergeException.usage(where + ": 'data_flow' must be a mapping (repeats, scaling, scale_range, max_layers).");
        }
        new UnknownKeys(".", warn).check(where, "data_flow.", d.fieldNames(), KEYS::contains);
        int repeats = integer(d, "repeats", where, DEFAULT_REPEATS);
        Scaling scaling = Scaling.MODEL_PAIR;
        if (d.hasNonNull("scaling")) {
            if (!d.get("scaling").isTextual()) {
                throw EvomergeException.usage(where + ": 'data_flow.scaling' must be model-pair, layer-pair or none.");
            }
            scaling = Scaling.parse(d.get("scaling").asText(), where + ": 'data_flow.scaling'");
        }
        double low = DEFAULT_SCALE_LOW;
        double high = DEFAULT_SCALE_HIGH;
        if (d.hasNonNull("scale_range")) {
            JsonNode r = d.get("scale_range");
            if (!r.isArray() || r.size() != 2 || !r.get(0).isNumber() || !r.get(1).isNumber()) {
                throw EvomergeException.usage(where + ": 'data_flow.scale_range' must be a list of two numbers [low, high].");
            }
            low = r.get(0).asDouble();
            high = r.get(1).asDouble();
        }
        Integer max = d.hasNonNull("max_layers") ? integer(d, "max_layers", where, 0) : null;
        try {
            return Optional.of(new DataFlowDefinition(repeats, scaling, low, high, max));
        } catch (EvomergeException e) {
            throw EvomergeException.usage(where + ": " + e.getMessage(), e);
        }
    }

    private static int integer(JsonNode n, String key, String where, int dflt) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isIntegralNumber()) {
            throw EvomergeException.usage(where + ": 'data_flow." + key + "' must be an integer.");
        }
        return v.asInt();
    }
}
