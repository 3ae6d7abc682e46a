package dev.evomerge.eval.filter;

import dev.evomerge.eval.task.FilterSpec;

import java.util.List;

/** A named chain of filters; its name is the suffix of the metric keys it produces ({@code acc,none}). */
public record FilterPipeline(String name, List<ResponseFilter> steps) {

    public FilterPipeline {
        steps = List.copyOf(steps);
    }

    /** Builds the pipeline; unknown functions or bad arguments fail with a sentence naming {@code where}. */
    public static FilterPipeline of(FilterSpec spec, String where) {
        return new FilterPipeline(spec.name(), spec.steps().stream().map(s -> ResponseFilter.of(s, where)).toList());
    }

    /** Runs the chain over one document's responses (one per repeat). */
    public Object apply(List<?> responses) {
        Object value = responses;
        for (ResponseFilter f : steps) {
            value = f.apply(value);
        }
        return value;
    }

    /** Whether the chain only selects responses (what lm-eval's default does), so it suits log-likelihood tasks. */
    public boolean onlySelects() {
        return steps.stream().allMatch(s -> s instanceof ResponseFilter.TakeFirst || s instanceof ResponseFilter.TakeFirstK);
    }
}
