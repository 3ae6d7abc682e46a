package dev.evomerge.evolve.run;

import dev.evomerge.evolve.genome.TaskSpec;

import java.util.List;
import java.util.Map;

/** fitness = sum over tasks of weight * metric; a missing or NaN metric fails the candidate. */
public final class Fitness {

    private Fitness() {
    }

    /** The weighted sum; throws IllegalArgumentException naming the missing or non-finite metric. */
    public static double score(List<TaskSpec> tasks, Map<MetricKey, Double> metrics) {
        double sum = 0;
        for (TaskSpec t : tasks) {
            Double v = metrics.get(MetricKey.of(t));
            if (v == null) {
                String prefix = t.name() + "/";
                throw new IllegalArgumentException("task " + t.name() + " reported no metric '" + t.metric() + "' (it has: "
                        + String.join(", ", metrics.keySet().stream().map(MetricKey::text).filter(k -> k.startsWith(prefix))
                        .map(k -> k.substring(prefix.length())).sorted().toList()) + ")");
            }
            if (!Double.isFinite(v)) {
                throw new IllegalArgumentException("task " + t.name() + " metric '" + t.metric() + "' is " + v);
            }
            sum += t.weight() * v;
        }
        return sum;
    }

    /**
     * A worker's evaluation with the weighted sum as its score; a failed evaluation is returned as it is, and a
     * missing or non-finite metric turns a successful one into a failure naming it.
     */
    public static Evaluation scored(List<TaskSpec> tasks, Evaluation e) {
        if (e.error() != null) {
            return e;
        }
        try {
            return e.withScore(score(tasks, e.metrics()));
        } catch (IllegalArgumentException bad) {
            return e.failedWith(bad.getMessage());
        }
    }
}
