package dev.evomerge.evolve.run;

import dev.evomerge.evolve.genome.TaskSpec;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One metric of one task's results: the task's name and the metric's key in them ("acc,none"). Its text form,
 * "task/metric", is what run.db, summary.json, the dashboard's JSON and cluster messages hold, and two keys with the
 * same text are the same key: a key read back from text splits at the first '/', so a task name containing '/' still
 * finds its metric. Keys sort by their text.
 */
public record MetricKey(String task, String metric) implements Comparable<MetricKey>, java.io.Serializable {

    public MetricKey {
        java.util.Objects.requireNonNull(task, "task");
        java.util.Objects.requireNonNull(metric, "metric");
    }

    /** The key a fitness term reads. */
    public static MetricKey of(TaskSpec t) {
        return new MetricKey(t.name(), t.metric());
    }

    /** The key of a "task/metric" text; throws IllegalArgumentException for a text without '/'. */
    public static MetricKey parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("the metric key '" + text + "' is not of the form task/metric");
        }
        return new MetricKey(text.substring(0, slash), text.substring(slash + 1));
    }

    /** "task/metric". */
    public String text() {
        return task + "/" + metric;
    }

    /** Metrics keyed by their text, sorted: the form run.db, summary.json and the dashboard's JSON hold. */
    public static SortedMap<String, Double> toText(Map<MetricKey, Double> metrics) {
        SortedMap<String, Double> out = new TreeMap<>();
        metrics.forEach((k, v) -> out.put(k.text(), v));
        return out;
    }

    /** The inverse of {@link #toText}, sorted. */
    public static SortedMap<MetricKey, Double> fromText(Map<String, Double> metrics) {
        SortedMap<MetricKey, Double> out = new TreeMap<>();
        metrics.forEach((k, v) -> out.put(parse(k), v));
        return Collections.unmodifiableSortedMap(out);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MetricKey k && text().equals(k.text());
    }

    @Override
    public int hashCode() {
        return text().hashCode();
    }

    @Override
    public int compareTo(MetricKey o) {
        return text().compareTo(o.text());
    }

    @Override
    public String toString() {
        return text();
    }
}
