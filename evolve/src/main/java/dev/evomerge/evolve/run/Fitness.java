package dev.evomerge.evolve.run;

import dev.evomerge.evolve.genome.TaskSpec;

import java.util.List;
import java.util.Map;

/** fitness = sum over tasks of weight * metric, read from "task/metric" keys; a missing or NaN metric fails the candidate. */
public final class Fitness {

    private Fitness() {
    }

    /** The key under which a task's metric is stored ("mc_task/acc,none"). */
    public static String key(TaskSpec t) {
        return t.name() + "/" + t.metric();
    }

    /** The weighted sum; throws IllegalArgumentException naming the missing or non-finite metric. */
    public static double score(List<TaskSpec> tasks, Map<String, Double> metrics) {
        double sum = 0;
        for (TaskSpec t : tasks) {
            Double v = metrics.get(key(t));
            if (v == null) {
                throw new IllegalArgumentException("task " + t.name() + " reported no metric '" + t.metric() + "' (it has: "
                        + String.join(", ", metrics.keySet().stream().filter(k -> k.startsWith(t.name() + "/"))
                        .map(k -> k.substring(t.name().length() + 1)).sorted().toList()) + ")");
            }
            if (!Double.isFinite(v)) {
                throw new IllegalArgumentException("task " + t.name() + " metric '" + t.metric() + "' is " + v);
            }
            sum += t.weight() * v;
        }
        return sum;
    }
}
