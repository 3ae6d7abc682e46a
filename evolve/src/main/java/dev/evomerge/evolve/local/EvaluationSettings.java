package dev.evomerge.evolve.local;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.core.io.Reasons;
import dev.evomerge.evolve.genome.TaskSpec;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How candidates are merged and scored, the same on every worker (local or on a cluster node): the fitness tasks,
 * where task files and data live, the lm-eval options, the backend, and where merges go. Paths are strings so that the
 * settings travel as JSON to cluster workers, which rewrite them with their path map.
 *
 * @param residentModel the model whose architecture and tokenizer the resident (in-memory) model takes: the base model,
 *                      else the first genome model
 * @param modelPaths    every model the merges read (for cluster fingerprints)
 * @param backend       "embedded" or "openai-completions"
 * @param serverCommand for openai-completions: a command with {model} and {port}, started per candidate
 * @param baseDirectory the directory relative paths resolve against (the coordinator's working directory)
 * @param shuffle       the genome's {@code shuffle}: documents in an order drawn from {@code randomSeed}, so that
 *                      {@code limit} takes the same random subset for every candidate
 * @param modelDirectories every model path the genome names (as the merge configs name it) and the directory it
 *                      resolved to, so that a worker merges from its own view of that directory
 */
public record EvaluationSettings(List<TaskSpec> tasks, List<String> includePaths, String dataDir, Integer limit,
                                 Integer numFewshot, int batchSize, boolean applyChatTemplate, boolean inMemory,
                                 String backend, String serverCommand, int threads, long randomSeed, String storage,
                                 String baseDirectory, String residentModel, List<String> modelPaths, boolean shuffle,
                                 Map<String, String> modelDirectories) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public EvaluationSettings {
        tasks = List.copyOf(tasks);
        includePaths = List.copyOf(includePaths);
        modelPaths = List.copyOf(modelPaths);
        modelDirectories = modelDirectories == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(modelDirectories));
    }

    /** {@link #modelDirectories} as paths, for {@code MergeOptions.withModelDirectories}. */
    public Map<String, Path> modelDirectoryPaths() {
        Map<String, Path> out = new LinkedHashMap<>();
        modelDirectories.forEach((ref, dir) -> out.put(ref, Path.of(dir)));
        return out;
    }

    public Optional<Path> dataRoot() {
        return Optional.ofNullable(dataDir).map(Path::of);
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("settings are plain data", e);
        }
    }

    public static EvaluationSettings fromJson(String json) {
        try {
            return JSON.readValue(json, EvaluationSettings.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("malformed evaluation settings (are the coordinator and this worker the"
                    + " same evomerge version?): " + Reasons.json(e) + ".", e);
        }
    }

    /** The same settings with every path rewritten (a cluster worker's view). */
    public EvaluationSettings mapPaths(java.util.function.UnaryOperator<String> map) {
        return new EvaluationSettings(tasks, includePaths.stream().map(map).toList(), dataDir == null ? null : map.apply(dataDir),
                limit, numFewshot, batchSize, applyChatTemplate, inMemory, backend, serverCommand, threads, randomSeed,
                storage, baseDirectory == null ? null : map.apply(baseDirectory), map.apply(residentModel),
                modelPaths.stream().map(map).toList(), shuffle, mapValues(modelDirectories, map));
    }

    private static Map<String, String> mapValues(Map<String, String> m, java.util.function.UnaryOperator<String> map) {
        Map<String, String> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, map.apply(v)));
        return out;
    }
}
