package dev.evomerge.eval;

import java.util.List;

/**
 * A group's aggregate over its tasks.
 *
 * @param subtasks its direct members
 * @param size     documents over all its tasks (weights it inside a parent group)
 */
public record GroupResult(String name, String alias, Object version, List<String> subtasks, List<MetricResult> metrics,
                          int size) {

    public GroupResult {
        subtasks = List.copyOf(subtasks);
        metrics = List.copyOf(metrics);
    }
}
