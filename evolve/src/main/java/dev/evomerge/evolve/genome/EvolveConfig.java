package dev.evomerge.evolve.genome;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.TextFiles;
import dev.evomerge.core.io.UnknownKeys;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * LLM-Evo-Merge's evolution file, unchanged (docs/evolution.md): {@code genome}, {@code tasks}, {@code limit},
 * {@code num_fewshot}, {@code shuffle}, {@code random_init} (and mergekit-evolve's {@code apply_chat_template},
 * {@code fewshot_as_multiturn}).
 */
public record EvolveConfig(GenomeDefinition genome, List<TaskSpec> tasks, Integer limit, Integer numFewshot,
                           boolean shuffle, boolean randomInit, boolean applyChatTemplate) {

    /** The estimated-fitness keys, read by evolve/fitness (GenomeFitnessKeys). */
    public static final List<String> FITNESS_KEYS = List.of("fitness_estimator", "anchors", "calibration_limit",
            "full_eval_top", "recalibrate_every");
    private static final Set<String> TOP_KEYS = Stream.concat(Stream.of("genome", "tasks", "limit",
            "num_fewshot", "shuffle", "random_init", "apply_chat_template", "fewshot_as_multiturn", "objectives",
            "data_flow"), // data_flow: read by evolve/dataflow
            FITNESS_KEYS.stream()).collect(java.util.stream.Collectors.toSet());
    private static final Set<String> GENOME_KEYS = Set.of("models", "merge_method", "base_model", "tokenizer_source",
            "layer_granularity", "normalize", "allow_negative_weights", "smooth", "filters");
    private static final Set<String> TASK_KEYS = Set.of("name", "weight", "metric");

    /**
     * Task-name prefixes of public benchmarks, refused as fitness unless the name ends in _train or the user passes
     * --i-understand-the-depths-of-the-evils-i-am-unleashing.
     */
    static final List<String> BENCHMARK_PREFIXES = List.of("mmlu", "hendrycks", "agieval", "gsm8k", "hellaswag",
            "winogrande", "arc_", "ai2_arc", "truthfulqa", "bigbench", "piqa", "openbookqa", "leaderboard");

    public EvolveConfig {
        tasks = List.copyOf(tasks);
    }

    /** Reads and validates a genome file; warnings (unknown keys) go to {@code warn}. */
    public static EvolveConfig load(Path file, Consumer<String> warn) {
        return parse(TextFiles.readUtf8(file, "Evolution config"), file.toString(), warn);
    }

    static EvolveConfig parse(String text, String where, Consumer<String> warn) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(text);
        } catch (JsonProcessingException e) {
            long line = e.getLocation() == null ? -1 : e.getLocation().getLineNr();
            throw EvomergeException.usage(where + (line > 0 ? " line " + line : "") + ": malformed YAML ("
                    + e.getOriginalMessage() + ").", e);
        }
        if (root == null || !root.isObject()) {
            throw EvomergeException.usage(where + ": expected a mapping with 'genome' and 'tasks'.");
        }
        warnUnknown(root, TOP_KEYS, where, "", warn);
        JsonNode g = root.get("genome");
        if (g == null || !g.isObject()) {
            throw EvomergeException.usage(where + ": missing 'genome' mapping.");
        }
        warnUnknown(g, GENOME_KEYS, where, "genome.", warn);
        GenomeDefinition genome = new GenomeDefinition(
                stringList(g, "models", where, "genome.", true),
                requiredString(g, "merge_method", where, "genome."),
                optionalString(g, "base_model", where, "genome."),
                optionalString(g, "tokenizer_source", where, "genome."),
                optionalInt(g, "layer_granularity", where, "genome.", 0),
                g.hasNonNull("normalize") ? bool(g, "normalize", where, "genome.", false) : null,
                bool(g, "allow_negative_weights", where, "genome.", false),
                bool(g, "smooth", where, "genome.", false),
                stringList(g, "filters", where, "genome.", false));
        EvolvableMethod.named(genome.mergeMethod()); // unknown method: one sentence listing the valid ones

        JsonNode t = root.get("tasks");
        if (t == null || !t.isArray() || t.isEmpty()) {
            throw EvomergeException.usage(where + ": 'tasks' must be a non-empty list of task names or {name, weight, metric}.");
        }
        List<TaskSpec> tasks = new ArrayList<>();
        for (int i = 0; i < t.size(); i++) {
            JsonNode n = t.get(i);
            String at = "tasks[" + i + "].";
            if (n.isTextual()) {
                tasks.add(new TaskSpec(n.asText(), 1.0, TaskSpec.DEFAULT_METRIC));
            } else if (n.isObject()) {
                warnUnknown(n, TASK_KEYS, where, at, warn);
                String name = requiredString(n, "name", where, at);
                double weight = 1.0;
                if (n.hasNonNull("weight")) {
                    if (!n.get("weight").isNumber()) {
                        throw EvomergeException.usage(where + ": " + at + "weight must be a number.");
                    }
                    weight = n.get("weight").asDouble();
                }
                String metric = n.hasNonNull("metric") ? requiredString(n, "metric", where, at) : TaskSpec.DEFAULT_METRIC;
                tasks.add(new TaskSpec(name, weight, metric));
            } else {
                throw EvomergeException.usage(where + ": tasks[" + i + "] must be a task name or a mapping with 'name'.");
            }
        }
        return new EvolveConfig(genome, tasks,
                root.hasNonNull("limit") ? optionalInt(root, "limit", where, "", 0) : null,
                root.hasNonNull("num_fewshot") ? optionalInt(root, "num_fewshot", where, "", 0) : null,
                bool(root, "shuffle", where, "", false),
                bool(root, "random_init", where, "", false),
                bool(root, "apply_chat_template", where, "", false));
    }

    /** Task names that look like public benchmarks (refused unless the user passes the long flag above). */
    public List<String> benchmarkTaskNames() {
        return tasks.stream().map(TaskSpec::name)
                .filter(n -> !n.endsWith("_train") && BENCHMARK_PREFIXES.stream().anyMatch(n::startsWith))
                .toList();
    }

    private static void warnUnknown(JsonNode node, Set<String> known, String where, String prefix, Consumer<String> warn) {
        new UnknownKeys(".", warn).check(where, prefix, node.fieldNames(), known::contains);
    }

    private static String requiredString(JsonNode n, String key, String where, String prefix) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) {
            throw EvomergeException.usage(where + ": missing '" + prefix + key + "'.");
        }
        if (!v.isTextual()) {
            throw EvomergeException.usage(where + ": '" + prefix + key + "' must be a string.");
        }
        return v.asText();
    }

    private static String optionalString(JsonNode n, String key, String where, String prefix) {
        return n.hasNonNull(key) ? requiredString(n, key, where, prefix) : null;
    }

    private static int optionalInt(JsonNode n, String key, String where, String prefix, int dflt) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isIntegralNumber()) {
            throw EvomergeException.usage(where + ": '" + prefix + key + "' must be an integer.");
        }
        return v.asInt();
    }

    private static boolean bool(JsonNode n, String key, String where, String prefix, boolean dflt) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) {
            return dflt;
        }
        // pydantic accepts 1.0/0 for booleans (LLM-Evo-Merge's published recipe writes normalize: 1.0).
        if (v.isBoolean()) {
            return v.asBoolean();
        }
        if (v.isNumber() && (v.asDouble() == 0 || v.asDouble() == 1)) {
            return v.asDouble() == 1;
        }
        throw EvomergeException.usage(where + ": '" + prefix + key + "' must be true or false.");
    }

    private static List<String> stringList(JsonNode n, String key, String where, String prefix, boolean required) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) {
            if (required) {
                throw EvomergeException.usage(where + ": missing '" + prefix + key + "' list.");
            }
            return List.of();
        }
        if (v.getNodeType() != JsonNodeType.ARRAY) {
            throw EvomergeException.usage(where + ": '" + prefix + key + "' must be a list.");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isTextual()) {
                throw EvomergeException.usage(where + ": every entry of '" + prefix + key + "' must be a string.");
            }
            out.add(e.asText());
        }
        return out;
    }
}
