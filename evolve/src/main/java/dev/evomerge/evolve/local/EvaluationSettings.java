package dev.evomerge.evolve.local;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.core.io.Reasons;
import dev.evomerge.evolve.genome.TaskSpec;

import java.nio.file.Path;
import java.util.List;
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
 */
public record EvaluationSettings(List<TaskSpec> tasks, List<String> includePaths, String dataDir, Integer limit,
                                 Integer numFewshot, int batchSize, boolean applyChatTemplate, boolean inMemory,
                                 String backend, String serverCommand, int threads, long randomSeed, String storage,
                                 String baseDirectory, String residentModel, List<String> modelPaths) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public EvaluationSettings {
        tasks = List.copyOf(tasks);
        includePaths = List.copyOf(includePaths);
        modelPaths = List.copyOf(modelPaths);
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
                modelPaths.stream().map(map).toList());
    }
}
