package dev.evomerge.eval.task;

import java.util.List;
import java.util.Map;

/**
 * One {@code filter_list} entry: a named pipeline of filter functions applied to the model's responses; the name
 * becomes the metric key suffix ({@code exact_match,strict-match}).
 */
public record FilterSpec(String name, List<Step> steps) {

    public FilterSpec {
        steps = List.copyOf(steps);
    }

    /** One filter: {@code function} plus its arguments (e.g. {@code regex_pattern}, {@code group_select}). */
    public record Step(String function, Map<String, Object> args) {
        public Step {
            args = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(args));
        }
    }

    /** The default pipeline lm-eval applies when a task has no filter_list: {@code none} = take_first. */
    public static FilterSpec none() {
        return new FilterSpec("none", List.of(new Step("take_first", Map.of())));
    }
}
