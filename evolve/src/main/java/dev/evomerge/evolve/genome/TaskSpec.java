package dev.evomerge.evolve.genome;

/** One fitness term: an lm-eval task, its weight, and the metric key read from its results ("acc,none"). */
public record TaskSpec(String name, double weight, String metric) {

    public static final String DEFAULT_METRIC = "acc,none";
}
