package dev.evomerge.evolve.fitness;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.TextFiles;
import dev.evomerge.evolve.genome.EvolveConfig;

import java.nio.file.Path;
import java.util.List;

/**
 * The genome file's estimated-fitness keys, top level beside {@code limit} and {@code shuffle}:
 * {@code fitness_estimator}, {@code anchors}, {@code calibration_limit}, {@code full_eval_top},
 * {@code recalibrate_every}. The rest of the file is
 * read by EvolveConfig, which already refused malformed YAML.
 */
public final class GenomeFitnessKeys {

    /** The keys, for EvolveConfig's list of known top-level keys. */
    public static final List<String> KEYS = EvolveConfig.FITNESS_KEYS;

    private GenomeFitnessKeys() {
    }

    public static FitnessOptions read(Path genomeFile) {
        String where = genomeFile.toString();
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(TextFiles.readUtf8(genomeFile, "Evolution config"));
        } catch (JsonProcessingException e) {
            throw EvomergeException.usage(where + ": malformed YAML (" + e.getOriginalMessage() + ").", e);
        }
        if (root == null || !root.isObject()) {
            return FitnessOptions.NONE;
        }
        FitnessEstimatorKind kind = null;
        JsonNode k = root.get("fitness_estimator");
        if (k != null && !k.isNull()) {
            if (!k.isTextual()) {
                throw EvomergeException.usage(where + ": 'fitness_estimator' must be full, subset, anchors or irt.");
            }
            kind = FitnessEstimatorKind.parse(k.asText(), where + ": 'fitness_estimator'");
        }
        return new FitnessOptions(kind, integer(root, "anchors", where), integer(root, "calibration_limit", where),
                integer(root, "full_eval_top", where), integer(root, "recalibrate_every", where));
    }

    private static Integer integer(JsonNode root, String key, String where) {
        JsonNode v = root.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber()) {
            throw EvomergeException.usage(where + ": '" + key + "' must be an integer.");
        }
        return v.asInt();
    }
}
