package dev.evomerge.eval;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The outcome of one task.
 *
 * @param version    metadata.version (or "Yaml")
 * @param nShot      the number of few-shot examples used
 * @param nOriginal  documents in the evaluated split
 * @param nEffective documents evaluated (after --limit)
 * @param config     the resolved task configuration, for the results' configs
 * @param samples    per-document records (empty unless log_samples)
 */
public record TaskResult(String name, String alias, Object version, int nShot, int nOriginal, int nEffective,
                         List<MetricResult> metrics, Map<String, Object> config, List<Map<String, Object>> samples) {

    public TaskResult {
        metrics = List.copyOf(metrics);
        samples = List.copyOf(samples);
    }

    /** The metric {@code metric} under filter {@code filter}. */
    public Optional<MetricResult> metric(String metric, String filter) {
        return metrics.stream().filter(m -> m.metric().equals(metric) && m.filter().equals(filter)).findFirst();
    }

    /** {@code results[task]["metric,filter"]}; fails when the task has no such metric. */
    public double value(String key) {
        return metrics.stream().filter(m -> m.key().equals(key)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("task " + name + " has no metric " + key + " (has "
                        + metrics.stream().map(MetricResult::key).toList() + ")"))
                .value();
    }
}
