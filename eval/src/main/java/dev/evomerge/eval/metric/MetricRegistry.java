package dev.evomerge.eval.metric;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The built-in metrics' default aggregation and direction. Which metrics a task's output type computes is declared
 * by the task output type (OutputType in the task package).
 */
public final class MetricRegistry {

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
