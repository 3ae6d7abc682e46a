package dev.evomerge.evolve.objective;

import dev.evomerge.evolve.run.MetricKey;

/**
 * One objective of a multi-objective run, as run.db, pareto.json and the dashboard name it: a task metric
 * ("task/metric", maximised) or a cost ("params", minimised).
 *
 * @param name   "task/metric" for a metric, the cost's name for a cost
 * @param metric the metric read from the candidate's results; null for a cost
 */
public record Objective(String name, MetricKey metric) {

    public Objective {
        java.util.Objects.requireNonNull(name, "name");
    }

    public static Objective of(MetricKey metric) {
        return new Objective(metric.text(), metric);
    }

    public static Objective cost(String name) {
        return new Objective(name, null);
    }

    /** Whether a smaller value is better (a cost); a metric is maximised. */
    public boolean minimised() {
        return metric == null;
    }

    /** The value as the optimizers compare it (all maximised): a cost is negated. */
    public double maximised(double value) {
        return minimised() ? -value : value;
    }
}
