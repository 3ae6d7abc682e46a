package dev.evomerge.eval;

import java.util.OptionalDouble;

/**
 * One aggregated metric of a task or group under one filter: the value of {@code results[task]["metric,filter"]}
 * and its stderr ({@code "N/A"} when empty).
 */
public record MetricResult(String metric, String filter, double value, OptionalDouble stderr, boolean higherIsBetter) {

    /** lm-eval's key: {@code metric,filter}. */
    public String key() {
        return metric + "," + filter;
    }
}
