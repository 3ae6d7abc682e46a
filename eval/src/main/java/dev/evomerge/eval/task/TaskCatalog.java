package dev.evomerge.eval.task;

import dev.evomerge.core.EvomergeException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The tasks, groups and tags evomerge knows: every {@code *.yaml}/{@code *.yml} under the {@code --include-path}
 * directories (searched first, in order) and the tasks bundled with evomerge. A name on the command line may be a
 * task, a group, a tag or the path of a task YAML.
 */
public final class TaskCatalog {

    /** The resource listing the bundled task files, one path (relative to this directory) per line. */
    public static final String BUNDLED_DIR = "dev/evomerge/eval/tasks/";
    private static final String BUNDLED_INDEX = BUNDLED_DIR + "index.txt";

    private final Map<String, ResolvedYaml> tasks = new LinkedHashMap<>();
    private final Map<String, ResolvedYaml> groups = new LinkedHashMap<>();
    private final Map<String, List<String>> tags = new LinkedHashMap<>();
    private final List<String> searched = new ArrayList<>();
    private final Consumer<String> warnings;

    private TaskCatalog(Consumer<String> warnings) {
        this.warnings = warnings;
    }

    /**
     * Indexes the include paths (directories or single YAML files) and the bundled tasks.
     *
     * @param warnings told about duplicate names (the first found wins)
     */
    public static TaskCatalog load(List<Path> includePaths, Consumer<String> warnings) {
        TaskCatalog catalog = new TaskCatalog(warnings);
        for (Path p : includePaths) {
            catalog.searched.add(p.toString());
            if (Files.isRegularFile(p)) {
                catalog.index(new TaskFile.OnDisk(p));
            } else if (Files.isDirectory(p)) {
                List<Path> files;
                try (Stream<Path> walk = Files.walk(p)) {
                    files = walk.filter(f -> Files.isRegularFile(f) && isYaml(f.getFileName().toString()))
                            .sorted().toList();
                } catch (IOException e) {
                    throw EvomergeException.usage("cannot read --include-path " + p + ": " + e.getMessage(), e);
                }
                for (Path f : files) {
                    catalog.index(new TaskFile.OnDisk(f));
                }
            } else {
                throw EvomergeException.usage("--include-path " + p + " does not exist");
            }
        }
        catalog.searched.add("bundled tasks");
        for (String resource : bundledFiles()) {
            catalog.index(new TaskFile.Bundled(BUNDLED_DIR + resource));
        }
        return catalog;
    }

    private static boolean isYaml(String name) {
        return name.endsWith(".yaml") || name.endsWith(".yml");
    }

    private static List<String> bundledFiles() {
        try (InputStream in = TaskCatalog.class.getClassLoader().getResourceAsStream(BUNDLED_INDEX)) {
            if (in == null) {
                return List.of();
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        } catch (IOException e) {
            throw EvomergeException.runtime("cannot read the bundled task index: " + e.getMessage(), e);
        }
    }

    private void index(TaskFile file) {
        ResolvedYaml yaml = ResolvedYaml.load(file);
        Map<String, Object> v = yaml.values();
        Object task = v.get("task");
        if (v.get("group") instanceof String group && (task instanceof List<?> || task == null)) {
            put(groups, group, yaml, "group");
            return;
        }
        if (task instanceof String name) {
            if (put(tasks, name, yaml, "task")) {
                for (String tag : tagNames(v.get("tag"))) {
                    tags.computeIfAbsent(tag, k -> new ArrayList<>()).add(name);
                }
                for (String tag : tagNames(v.get("group"))) {
                    tags.computeIfAbsent(tag, k -> new ArrayList<>()).add(name);
                }
            }
        }
        // Other files (shared defaults that only other files include) define nothing by themselves.
    }

    private static List<String> tagNames(Object o) {
        if (o instanceof String s) {
            return List.of(s);
        }
        if (o instanceof List<?> l) {
            return l.stream().filter(String.class::isInstance).map(String.class::cast).toList();
        }
        return List.of();
    }

    private boolean put(Map<String, ResolvedYaml> map, String name, ResolvedYaml yaml, String kind) {
        ResolvedYaml existing = map.get(name);
        if (existing != null) {
            warnings.accept(kind + " " + name + " is defined in " + existing.file().describe() + " and in "
                    + yaml.file().describe() + "; using the first");
            return false;
        }
        map.put(name, yaml);
        return true;
    }

    /** All task names, sorted. */
    public Set<String> taskNames() {
        return new TreeSet<>(tasks.keySet());
    }

    /** All group names, sorted. */
    public Set<String> groupNames() {
        return new TreeSet<>(groups.keySet());
    }

    /** All tag names, sorted. */
    public Set<String> tagNames() {
        return new TreeSet<>(tags.keySet());
    }

    /** Where a task is defined. */
    public ResolvedYaml taskYaml(String name) {
        ResolvedYaml y = tasks.get(name);
        if (y == null) {
            throw unknown(name);
        }
        return y;
    }

    /**
     * Expands command-line names into tasks (each once, in first-mention order) and the groups to report.
     */
    public Selection select(List<String> names) {
        Selection sel = new Selection();
        for (String name : names) {
            expand(name.strip(), sel, new LinkedHashSet<>());
        }
        if (sel.tasks.isEmpty()) {
            throw EvomergeException.usage("no tasks selected: give --tasks a comma-separated list of tasks, groups or tags");
        }
        return sel;
    }

    private List<String> expand(String name, Selection sel, Set<String> stack) {
        if (!stack.add(name)) {
            throw EvomergeException.usage("group " + name + " contains itself");
        }
        try {
            if (tasks.containsKey(name)) {
                addTask(sel, name, tasks.get(name));
                return List.of(name);
            }
            if (groups.containsKey(name)) {
                return List.of(expandGroup(name, groups.get(name), sel, stack));
            }
            if (tags.containsKey(name)) {
                List<String> out = new ArrayList<>();
                for (String t : tags.get(name)) {
                    addTask(sel, t, tasks.get(t));
                    out.add(t);
                }
                return out;
            }
            Path p = Path.of(name);
            if (isYaml(name) && Files.isRegularFile(p)) {
                ResolvedYaml y = ResolvedYaml.load(new TaskFile.OnDisk(p));
                if (y.values().get("group") instanceof String g && y.values().get("task") instanceof List<?>) {
                    return List.of(expandGroup(g, y, sel, stack));
                }
                TaskConfig c = TaskConfigParser.parse(y, warnings);
                addTask(sel, c.name(), y);
                return List.of(c.name());
            }
            throw unknown(name);
        } finally {
            stack.remove(name);
        }
    }

    private String expandGroup(String name, ResolvedYaml yaml, Selection sel, Set<String> stack) {
        Map<String, Object> v = yaml.values();
        if (!(v.get("task") instanceof List<?> members)) {
            throw EvomergeException.usage(yaml.where().getOrDefault("task", yaml.file().describe()) + ": group "
                    + name + " needs 'task' as a list of task, group or tag names");
        }
        List<String> direct = new ArrayList<>();
        for (Object m : members) {
            if (m instanceof String s) {
                direct.addAll(expand(s, sel, stack));
            } else if (m instanceof Map<?, ?> inline && inline.get("task") instanceof String t) {
                Map<String, Object> overrides = new LinkedHashMap<>();
                inline.forEach((k, val) -> overrides.put(String.valueOf(k), val));
                String at = yaml.where().getOrDefault("task", yaml.file().describe());
                ResolvedYaml base = tasks.containsKey(t) ? tasks.get(t).with(overrides, at)
                        : new ResolvedYaml(yaml.file(), overrides, Map.of());
                addTask(sel, t, base);
                direct.add(t);
            } else {
                throw EvomergeException.usage(yaml.where().getOrDefault("task", yaml.file().describe()) + ": group "
                        + name + " has a member that is neither a name nor a {task: ...} mapping: " + m);
            }
        }
        sel.groups.put(name, parseGroup(name, yaml, direct));
        return name;
    }

    private static GroupConfig parseGroup(String name, ResolvedYaml yaml, List<String> members) {
        Map<String, Object> v = yaml.values();
        List<GroupConfig.AggregateMetric> aggregate = new ArrayList<>();
        Object list = v.get("aggregate_metric_list");
        String at = yaml.where().getOrDefault("aggregate_metric_list", yaml.file().describe());
        if (list instanceof Map<?, ?> single) {
            list = List.of(single);
        }
        if (list instanceof List<?> entries) {
            for (Object e : entries) {
                if (!(e instanceof Map<?, ?> m) || !(m.get("metric") instanceof String metric)) {
                    throw EvomergeException.usage(at + ": group " + name
                            + ": each aggregate_metric_list entry needs 'metric: <name>'");
                }
                Object agg = m.get("aggregation");
                if (agg != null && !"mean".equals(agg)) {
                    throw EvomergeException.usage(at + ": group " + name + " aggregates " + metric + " with '" + agg
                            + "'; lm-eval groups support only mean");
                }
                List<String> filters = m.get("filter_list") instanceof String f ? List.of(f)
                        : m.get("filter_list") instanceof List<?> fl ? fl.stream().map(String::valueOf).toList()
                        : List.of("none");
                boolean weight = !(m.get("weight_by_size") instanceof Boolean b) || b;
                aggregate.add(new GroupConfig.AggregateMetric(metric, filters, weight));
            }
        } else if (list != null) {
            throw EvomergeException.usage(at + ": group " + name + ": aggregate_metric_list must be a list");
        }
        Object version = v.get("metadata") instanceof Map<?, ?> md ? md.get("version") : null;
        String alias = v.get("group_alias") instanceof String a ? a : null;
        return new GroupConfig(name, alias, members, aggregate, version);
    }

    private void addTask(Selection sel, String name, ResolvedYaml yaml) {
        if (!sel.tasks.containsKey(name)) {
            sel.tasks.put(name, yaml);
        }
    }

    private EvomergeException unknown(String name) {
        List<String> close = new ArrayList<>();
        for (String known : new TreeSet<>(concat())) {
            if (known.contains(name) || name.contains(known)) {
                close.add(known);
            }
        }
        return EvomergeException.usage("unknown task, group or tag '" + name + "' (searched "
                + String.join(", ", searched) + ")" + (close.isEmpty() ? "" : "; similar: "
                + String.join(", ", close.subList(0, Math.min(10, close.size())))));
    }

    private Set<String> concat() {
        Set<String> all = new LinkedHashSet<>(tasks.keySet());
        all.addAll(groups.keySet());
        all.addAll(tags.keySet());
        return all;
    }

    /** What {@link #select} chose: tasks by name (resolved YAML) and groups by name. */
    public static final class Selection {
        private final Map<String, ResolvedYaml> tasks = new LinkedHashMap<>();
        private final Map<String, GroupConfig> groups = new LinkedHashMap<>();

        public Map<String, ResolvedYaml> tasks() {
            return java.util.Collections.unmodifiableMap(tasks);
        }

        public Map<String, GroupConfig> groups() {
            return java.util.Collections.unmodifiableMap(groups);
        }
    }
}
