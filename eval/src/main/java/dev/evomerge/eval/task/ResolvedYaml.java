package dev.evomerge.eval.task;

import dev.evomerge.core.EvomergeException;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A task YAML with its {@code include} chain applied as lm-eval does: the included files' keys first (for a list,
 * the first listed wins), then this file's keys on top (shallow: a key replaces the included value whole).
 *
 * @param file   the file asked for
 * @param values the merged keys, without {@code include}
 * @param where  for each key, "file:line" of the file that set it
 */
public record ResolvedYaml(TaskFile file, Map<String, Object> values, Map<String, String> where) {

    public ResolvedYaml {
        values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        where = Map.copyOf(where);
    }

    /** Reads {@code file} and everything it includes. */
    public static ResolvedYaml load(TaskFile file) {
        return load(file, new ArrayDeque<>());
    }

    private static ResolvedYaml load(TaskFile file, Deque<String> chain) {
        if (chain.contains(file.describe())) {
            throw EvomergeException.usage("include cycle: " + String.join(" -> ", chain.reversed()) + " -> "
                    + file.describe());
        }
        chain.push(file.describe());
        YamlDocument doc = TaskYamlReader.read(file);
        Map<String, Object> values = new LinkedHashMap<>();
        Map<String, String> where = new LinkedHashMap<>();
        Object include = doc.values().get("include");
        if (include != null) {
            List<String> paths = new ArrayList<>();
            if (include instanceof String s) {
                paths.add(s);
            } else if (include instanceof List<?> list && list.stream().allMatch(String.class::isInstance)) {
                list.forEach(p -> paths.add((String) p));
            } else {
                throw EvomergeException.usage(doc.where("include")
                        + ": include must be a file name or a list of file names, not " + include);
            }
            // lm-eval applies the list reversed, so the first listed file has the last word among includes.
            for (String p : paths.reversed()) {
                TaskFile included = file.resolve(p);
                if (!included.exists()) {
                    throw EvomergeException.usage(doc.where("include") + ": included file " + included.describe()
                            + " does not exist (include paths are relative to the including file)");
                }
                ResolvedYaml base = load(included, chain);
                values.putAll(base.values());
                where.putAll(base.where());
            }
        }
        for (Map.Entry<String, Object> e : doc.values().entrySet()) {
            if (!e.getKey().equals("include")) {
                values.put(e.getKey(), e.getValue());
                where.put(e.getKey(), doc.where(e.getKey()));
            }
        }
        chain.pop();
        return new ResolvedYaml(file, values, where);
    }

    /** A copy with {@code overrides} applied on top (group members that override a task's keys). */
    public ResolvedYaml with(Map<String, Object> overrides, String overrideWhere) {
        Map<String, Object> v = new LinkedHashMap<>(values);
        Map<String, String> w = new LinkedHashMap<>(where);
        overrides.forEach((k, val) -> {
            v.put(k, val);
            w.put(k, overrideWhere);
        });
        return new ResolvedYaml(file, v, w);
    }
}
