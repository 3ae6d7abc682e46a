package dev.evomerge.eval.task;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A task's resolved configuration (its YAML after {@code include}), the subset of lm-eval's {@code TaskConfig}
 * evomerge runs. {@code doc_to_*} values stay as written (Long, String, List, Map or {@link FunctionRef}) because
 * their meaning depends on the dataset's columns. Build one with {@link TaskConfigParser}.
 *
 * @param origin           the file that defines the task (relative data_files resolve against its directory)
 * @param where            for each key, "file:line" where it was set (messages)
 * @param raw              every key as resolved, for the results' {@code configs}
 * @param fewshotOverrides {@code fewshot_config.doc_to_text/doc_to_target/doc_to_choice} when set
 * @param fewshotSamples   {@code fewshot_config.samples}: fixed few-shot documents, when given
 * @param version          {@code metadata.version}, or null
 */
public record TaskConfig(
        String name,
        String alias,
        List<String> tags,
        String datasetPath,
        String datasetName,
        Map<String, Object> datasetKwargs,
        String trainingSplit,
        String validationSplit,
        String testSplit,
        String fewshotSplit,
        FunctionRef processDocs,
        OutputType outputType,
        Object docToText,
        Object docToTarget,
        Object docToChoice,
        FunctionRef processResults,
        String description,
        String targetDelimiter,
        String fewshotDelimiter,
        String genPrefix,
        int numFewshot,
        String fewshotSampler,
        Map<String, Object> fewshotOverrides,
        List<Map<String, Object>> fewshotSamples,
        List<MetricSpec> metrics,
        List<FilterSpec> filters,
        GenerationKwargs generationKwargs,
        int repeats,
        Object version,
        TaskFile origin,
        Map<String, String> where,
        Map<String, Object> raw) {

    public TaskConfig {
        tags = List.copyOf(tags);
        datasetKwargs = unmodifiable(datasetKwargs);
        fewshotOverrides = unmodifiable(fewshotOverrides);
        fewshotSamples = fewshotSamples == null ? null : List.copyOf(fewshotSamples);
        metrics = List.copyOf(metrics);
        filters = List.copyOf(filters);
        where = Map.copyOf(where);
        raw = unmodifiable(raw);
    }

    private static Map<String, Object> unmodifiable(Map<String, Object> m) {
        return java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(m));
    }

    /** "file:line" of a key, or the defining file when the key was not written. */
    public String whereIs(String key) {
        return where.getOrDefault(key, origin.describe());
    }

    /** The split evaluated: test_split if set, else validation_split. */
    public Optional<String> evalSplit() {
        return Optional.ofNullable(testSplit != null ? testSplit : validationSplit);
    }

    /** A copy with another number of few-shot examples (the CLI's --num-fewshot). */
    public TaskConfig withNumFewshot(int n) {
        Map<String, Object> r = new java.util.LinkedHashMap<>(raw);
        r.put("num_fewshot", n);
        return new TaskConfig(name, alias, tags, datasetPath, datasetName, datasetKwargs, trainingSplit,
                validationSplit, testSplit, fewshotSplit, processDocs, outputType, docToText, docToTarget, docToChoice,
                processResults, description, targetDelimiter, fewshotDelimiter, genPrefix, n, fewshotSampler,
                fewshotOverrides, fewshotSamples, metrics, filters, generationKwargs, repeats, version, origin, where,
                r);
    }

    /** The version lm-eval reports: metadata.version, else "Yaml". */
    public Object reportedVersion() {
        return version == null ? "Yaml" : version;
    }
}
