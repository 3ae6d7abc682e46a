package dev.evomerge.eval;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything an evaluation produced: per-task and per-group metrics in lm-eval's terms, plus how it was run.
 *
 * @param model      the model's name
 * @param modelInfo  backend settings for the results' config section
 * @param options    how it was run
 * @param seconds    wall time of the evaluation
 */
public record EvaluationResults(String model, Map<String, Object> modelInfo, EvaluationOptions options,
                                List<TaskResult> tasks, List<GroupResult> groups, double seconds) {

    public EvaluationResults {
        modelInfo = Map.copyOf(modelInfo);
        tasks = List.copyOf(tasks);
        groups = List.copyOf(groups);
    }

    /** One task's results by name. */
    public Optional<TaskResult> task(String name) {
        return tasks.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    /** {@code results[task]["metric,filter"]}, e.g. {@code value("arc_easy", "acc,none")}. */
    public double value(String task, String key) {
        return task(task).orElseThrow(() -> new IllegalArgumentException("no results for task " + task)).value(key);
    }
}
