package dev.evomerge.eval.task;

import java.util.Map;

/**
 * One {@code metric_list} entry.
 *
 * @param name           the metric ({@code acc}, {@code exact_match}, ...)
 * @param aggregation    an aggregation name, a {@link FunctionRef}, or null for the metric's default
 * @param higherIsBetter as written, or null for the metric's default
 * @param kwargs         the remaining keys (e.g. {@code ignore_case}), passed to the metric
 */
public record MetricSpec(String name, Object aggregation, Boolean higherIsBetter, Map<String, Object> kwargs) {

    public MetricSpec {
        kwargs = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(kwargs));
    }
}
