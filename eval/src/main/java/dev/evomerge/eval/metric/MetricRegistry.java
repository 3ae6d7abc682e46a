package dev.evomerge.eval.metric;

import dev.evomerge.eval.task.OutputType;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The built-in metrics: which output types they apply to, their default aggregation and direction. */
public final class MetricRegistry {

    private static final Map<OutputType, List<String>> DEFAULTS = Map.of(
            OutputType.LOGLIKELIHOOD, List.of("perplexity", "acc"),
            OutputType.LOGLIKELIHOOD_ROLLING, List.of("word_perplexity", "byte_perplexity", "bits_per_byte"),
            OutputType.MULTIPLE_CHOICE, List.of("acc", "acc_norm"),
            OutputType.GENERATE_UNTIL, List.of("exact_match"));

    private static final Map<OutputType, Set<String>> SUPPORTED = Map.of(
            OutputType.LOGLIKELIHOOD, Set.of("perplexity", "acc"),
            OutputType.LOGLIKELIHOOD_ROLLING, Set.of("word_perplexity", "byte_perplexity", "bits_per_byte"),
            OutputType.MULTIPLE_CHOICE, Set.of("acc", "acc_norm", "acc_bytes", "acc_mutual_info", "exact_match",
                    "f1", "mcc", "brier_score", "mc1", "mc2"),
            OutputType.GENERATE_UNTIL, Set.of("exact_match"));

    private static final Map<String, Aggregation> AGGREGATION = Map.ofEntries(
            Map.entry("perplexity", Aggregation.PERPLEXITY),
            Map.entry("word_perplexity", Aggregation.WEIGHTED_PERPLEXITY),
            Map.entry("byte_perplexity", Aggregation.WEIGHTED_PERPLEXITY),
            Map.entry("bits_per_byte", Aggregation.BITS_PER_BYTE),
            Map.entry("f1", Aggregation.F1),
            Map.entry("mcc", Aggregation.MATTHEWS_CORRCOEF),
            Map.entry("brier_score", Aggregation.BRIER_SCORE));

    private static final Set<String> LOWER_IS_BETTER = Set.of("perplexity", "word_perplexity", "byte_perplexity",
            "bits_per_byte", "brier_score");

    private MetricRegistry() {
    }

    /** The metrics lm-eval uses when a task has no metric_list. */
    public static List<String> defaultMetrics(OutputType type) {
        return DEFAULTS.get(type);
    }

    /** Whether evomerge computes {@code metric} for tasks of {@code type} without a process_results function. */
    public static boolean supports(OutputType type, String metric) {
        return SUPPORTED.get(type).contains(metric);
    }

    /** The metrics computable for {@code type}, sorted, for messages. */
    public static List<String> supported(OutputType type) {
        return SUPPORTED.get(type).stream().sorted().toList();
    }

    /** The aggregation a metric uses when metric_list names none (mean for most). */
    public static Aggregation defaultAggregation(String metric) {
        return AGGREGATION.getOrDefault(metric, Aggregation.MEAN);
    }

    /** Whether higher is better when metric_list does not say. */
    public static boolean defaultHigherIsBetter(String metric) {
        return !LOWER_IS_BETTER.contains(metric);
    }

    /** A built-in aggregation by name. */
    public static Optional<Aggregation> aggregation(String name) {
        return Aggregation.byName(name);
    }
}
