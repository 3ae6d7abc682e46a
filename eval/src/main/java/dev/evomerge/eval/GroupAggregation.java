package dev.evomerge.eval;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.eval.task.GroupConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * lm-eval's group scores: for each aggregate_metric_list entry the mean of the members' values (weighted by their
 * document counts unless weight_by_size is false) and the pooled sample stderr of their stderrs.
 */
final class GroupAggregation {

    private GroupAggregation() {
    }

    static List<GroupResult> aggregate(Map<String, GroupConfig> groups, List<TaskResult> tasks) {
        Map<String, GroupResult> done = new LinkedHashMap<>();
        for (String name : groups.keySet()) {
            aggregate(name, groups, tasks, done);
        }
        return new ArrayList<>(done.values());
    }

    private static GroupResult aggregate(String name, Map<String, GroupConfig> groups, List<TaskResult> tasks,
                                         Map<String, GroupResult> done) {
        if (done.containsKey(name)) {
            return done.get(name);
        }
        GroupConfig g = groups.get(name);
        List<Member> members = new ArrayList<>();
        for (String m : g.members()) {
            if (groups.containsKey(m)) {
                GroupResult sub = aggregate(m, groups, tasks, done);
                members.add(new Member(sub.metrics(), sub.size()));
            } else {
                TaskResult t = tasks.stream().filter(x -> x.name().equals(m)).findFirst().orElseThrow();
                members.add(new Member(t.metrics(), t.nEffective()));
            }
        }
        List<MetricResult> metrics = new ArrayList<>();
        for (GroupConfig.AggregateMetric am : g.aggregate()) {
            for (String filter : am.filters()) {
                List<Double> values = new ArrayList<>();
                List<OptionalDouble> stderrs = new ArrayList<>();
                List<Integer> sizes = new ArrayList<>();
                Boolean hib = null;
                for (Member m : members) {
                    Optional<MetricResult> r = m.metrics().stream()
                            .filter(x -> x.metric().equals(am.metric()) && x.filter().equals(filter)).findFirst();
                    if (r.isPresent()) {
                        values.add(r.get().value());
                        stderrs.add(r.get().stderr());
                        sizes.add(m.size());
                        hib = r.get().higherIsBetter();
                    }
                }
                if (values.isEmpty()) {
                    throw EvomergeException.usage("group " + name + " aggregates " + am.metric() + "," + filter
                            + " but none of its tasks reports it");
                }
                double num = 0;
                double den = 0;
                for (int i = 0; i < values.size(); i++) {
                    double w = am.weightBySize() ? sizes.get(i) : 1;
                    num += values.get(i) * w;
                    den += w;
                }
                metrics.add(new MetricResult(am.metric(), filter, num / den, pooled(stderrs, sizes), hib));
            }
        }
        int size = members.stream().mapToInt(Member::size).sum();
        GroupResult result = new GroupResult(name, g.alias() != null ? g.alias() : name, g.version(), g.members(),
                metrics, size);
        done.put(name, result);
        return result;
    }

    /** lm-eval's pooled_sample_stderr; "N/A" when any member has none. */
    static OptionalDouble pooled(List<OptionalDouble> stderrs, List<Integer> sizes) {
        double num = 0;
        double total = 0;
        for (int i = 0; i < stderrs.size(); i++) {
            if (stderrs.get(i).isEmpty()) {
                return OptionalDouble.empty();
            }
            double se = stderrs.get(i).getAsDouble();
            int n = sizes.get(i);
            num += (n - 1) * se * se * n;
            total += n;
        }
        double dof = total - stderrs.size();
        if (dof <= 0) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(Math.sqrt(num / dof / total));
    }

    private record Member(List<MetricResult> metrics, int size) {
    }
}
