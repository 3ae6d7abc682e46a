package dev.evomerge.eval.task;

import java.util.List;

/**
 * A task group YAML ({@code group}, {@code task: [...]}, {@code aggregate_metric_list}).
 *
 * @param members   the direct members' names (tasks or subgroups), in order
 * @param aggregate how the group's own scores are computed from its tasks; empty = the group reports none
 * @param version   metadata.version, or null
 */
public record GroupConfig(String name, String alias, List<String> members, List<AggregateMetric> aggregate,
                          Object version) {

    public GroupConfig {
        members = List.copyOf(members);
        aggregate = List.copyOf(aggregate);
    }

    /**
     * One aggregate_metric_list entry: the mean of the members' {@code metric,filter} values, weighted by their
     * document counts when {@code weightBySize} (micro average), else plain (macro average).
     */
    public record AggregateMetric(String metric, List<String> filters, boolean weightBySize) {
        public AggregateMetric {
            filters = List.copyOf(filters);
        }
    }
}
