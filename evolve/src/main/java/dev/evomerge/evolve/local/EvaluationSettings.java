package dev.evomerge.evolve.local;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.core.io.Reasons;
import dev.evomerge.evolve.genome.TaskSpec;
import dev.evomerge.merge.MergeOptions;

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
 * @param backend       what scores a merged candidate
 * @param serverCommand for openai-completions: a command with {model} and {port}, started per candidate
 * @param baseDirectory the directory relative paths resolve against (the coordinator's working directory)
 * @param shuffle       the genome's {@code shuffle}: documents in an order drawn from {@code randomSeed}, so that
 *                      {@code limit} takes the same random subset for every candidate
 * @param modelDirectories every model path the genome names (as the merge configs name it) and the directory it
 *                      resolved to, so that a worker merges from its own view of that directory
 * @param allowCrimes   merge models of different architectures
 */
public record EvaluationSettings(List<TaskSpec> tasks, List<String> includePaths, String dataDir, Integer limit,
                                 Integer numFewshot, int batchSize, boolean applyChatTemplate, boolean inMemory,
                                 EvaluationBackend backend, String serverCommand, int threads, long randomSeed,
                                 String storage, String baseDirectory, String residentModel, List<String> modelPaths,
                                 boolean shuffle, Map<String, String> modelDirectories, boolean allowCrimes) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public EvaluationSettings {
        tasks = List.copyOf(tasks);
        includePaths = List.copyOf(includePaths);
        modelPaths = List.copyOf(modelPaths);
        modelDirectories = modelDirectories == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(modelDirectories));
    }

    /**
     * How every merge of the run reads its models: the candidates' merges on every worker and the final model's. The
     * threads, the seed of random merge methods, the directory relative model paths resolve against, each model's
     * directory, and whether different architectures may merge.
     */
    public MergeOptions mergeOptions() {
        MergeOptions o = MergeOptions.defaults().withThreads(Math.max(1, threads)).withRandomSeed(randomSeed)
                .withAllowCrimes(allowCrimes);
        if (baseDirectory != null) {
            o = o.withBaseDirectory(Path.of(baseDirectory));
        }
        Map<String, Path> dirs = new LinkedHashMap<>();
        modelDirectories.forEach((ref, dir) -> dirs.put(ref, Path.of(dir)));
        return o.withModelDirectories(dirs);
    }

    /**
     * These settings on a cluster worker: its threads per slot and merge folder, and, where it was given a server
     * command, scored by that server from merges on disk.
     */
    public EvaluationSettings onWorker(String workerServerCommand, int workerThreads, String workerStorage) {
        boolean server = workerServerCommand != null;
        return new EvaluationSettings(tasks, includePaths, dataDir, limit, numFewshot, batchSize, applyChatTemplate,
                !server && inMemory, server ? EvaluationBackend.OPENAI_COMPLETIONS : backend,
                server ? workerServerCommand : serverCommand, workerThreads, randomSeed, workerStorage, baseDirectory,
                residentModel, modelPaths, shuffle, modelDirectories, allowCrimes);
    }

    /**
     * The lm-eval options every candidate is scored with: num_fewshot, limit, no bootstrap, and with {@code shuffle}
     * documents in an order drawn from the run's seed (so every candidate, slot, worker and resumed run sees the same
     * documents, and a document index means the same document to all of them).
     */
    public dev.evomerge.eval.EvaluationOptions evaluationOptions() {
        dev.evomerge.eval.EvaluationOptions o = new dev.evomerge.eval.EvaluationOptions(
                numFewshot == null ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(numFewshot),
                limit == null ? java.util.OptionalDouble.empty() : java.util.OptionalDouble.of(limit),
                0, dev.evomerge.eval.EvaluationOptions.DEFAULT_FEWSHOT_SEED, applyChatTemplate, false);
        return shuffle ? o.withShuffleSeed(randomSeed) : o;
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
                modelPaths.stream().map(map).toList(), shuffle, mapValues(modelDirectories, map), allowCrimes);
    }

    private static Map<String, String> mapValues(Map<String, String> m, java.util.function.UnaryOperator<String> map) {
        Map<String, String> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, map.apply(v)));
        return out;
    }
}
