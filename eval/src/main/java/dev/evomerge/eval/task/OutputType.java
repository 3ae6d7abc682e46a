package dev.evomerge.eval.task;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * lm-eval's {@code output_type}: how a document becomes model requests, with the metrics lm-eval uses when a task
 * has no metric_list and the ones evomerge computes for it without a process_results function.
 */
public enum OutputType {
    MULTIPLE_CHOICE("multiple_choice", List.of("acc", "acc_norm"), Set.of("acc", "acc_norm", "acc_bytes",
            "acc_mutual_info", "exact_match", "f1", "mcc", "brier_score", "mc1", "mc2")),
    LOGLIKELIHOOD("loglikelihood", List.of("perplexity", "acc"), Set.of("perplexity", "acc")),
    LOGLIKELIHOOD_ROLLING("loglikelihood_rolling", List.of("word_perplexity", "byte_perplexity", "bits_per_byte"),
            Set.of("word_perplexity", "byte_perplexity", "bits_per_byte")),
    GENERATE_UNTIL("generate_until", List.of("exact_match"), Set.of("exact_match"));

    private final String yamlName;
    private final List<String> defaultMetrics;
    private final Set<String> supportedMetrics;

    OutputType(String yamlName, List<String> defaultMetrics, Set<String> supportedMetrics) {
        this.yamlName = yamlName;
        this.defaultMetrics = defaultMetrics;
        this.supportedMetrics = supportedMetrics;
    }

    /** The name used in task YAML and results. */
    public String yamlName() {
        return yamlName;
    }

    /** The metrics lm-eval uses when a task has no metric_list. */
    public List<String> defaultMetrics() {
        return defaultMetrics;
    }

    /** Whether evomerge computes {@code metric} for tasks of this type without a process_results function. */
    public boolean supports(String metric) {
        return supportedMetrics.contains(metric);
    }

    /** The metrics computable for this type, sorted, for messages. */
    public List<String> supportedMetrics() {
        return supportedMetrics.stream().sorted().toList();
    }

    public static Optional<OutputType> fromYaml(String name) {
        return Arrays.stream(values()).filter(t -> t.yamlName.equals(name)).findFirst();
    }
}
