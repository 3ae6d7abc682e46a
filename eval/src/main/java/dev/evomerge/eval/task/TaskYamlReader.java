package dev.evomerge.eval.task;

import dev.evomerge.core.EvomergeException;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.AbstractConstruct;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;

import java.io.StringReader;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads lm-eval task YAML as PyYAML would (YAML 1.1 scalars) with the {@code !function} tag, reporting malformed
 * YAML as one sentence with the file and line.
 */
public final class TaskYamlReader {

    private TaskYamlReader() {
    }

    /** Parses one file; an empty file is an empty mapping. */
    public static YamlDocument read(TaskFile file) {
        String text = file.read();
        Object loaded;
        Node root;
        try {
            LoaderOptions options = new LoaderOptions();
            loaded = new Yaml(new TaskConstructor(options), new org.yaml.snakeyaml.representer.Representer(
                    new org.yaml.snakeyaml.DumperOptions()), new org.yaml.snakeyaml.DumperOptions(), options)
                    .load(new StringReader(text));
            root = new Yaml(new LoaderOptions()).compose(new StringReader(text));
        } catch (MarkedYAMLException e) {
            Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            String line = mark == null ? "" : ":" + (mark.getLine() + 1);
            String problem = e.getProblem() != null ? e.getProblem() : e.getMessage();
            throw EvomergeException.usage("malformed YAML in " + file.describe() + line + ": " + oneLine(problem), e);
        } catch (YAMLException e) {
            throw EvomergeException.usage("malformed YAML in " + file.describe() + ": " + oneLine(e.getMessage()), e);
        }
        if (loaded == null) {
            return new YamlDocument(file, Map.of(), Map.of());
        }
        if (!(loaded instanceof Map<?, ?> map)) {
            throw EvomergeException.usage("task file " + file.describe()
                    + " must be a YAML mapping of keys (task, dataset_path, ...), not a " + kind(loaded));
        }
        Map<String, Object> values = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            values.put(String.valueOf(e.getKey()), normalise(e.getValue()));
        }
        Map<String, Integer> lines = new HashMap<>();
        if (root instanceof MappingNode mapping) {
            for (NodeTuple tuple : mapping.getValue()) {
                if (tuple.getKeyNode() instanceof ScalarNode key) {
                    lines.putIfAbsent(key.getValue(), key.getStartMark().getLine() + 1);
                }
            }
        }
        return new YamlDocument(file, values, lines);
    }

    /** Integers become Long (as JSON data does) so that values compare equal whatever their source. */
    private static Object normalise(Object o) {
        return switch (o) {
            case Integer i -> i.longValue();
            case Map<?, ?> m -> {
                Map<Object, Object> out = new LinkedHashMap<>();
                m.forEach((k, v) -> out.put(k, normalise(v)));
                yield out;
            }
            case java.util.List<?> l -> {
                java.util.List<Object> out = new java.util.ArrayList<>(l.size());
                l.forEach(v -> out.add(normalise(v)));
                yield out;
            }
            case null, default -> o;
        };
    }

    private static String kind(Object o) {
        return o instanceof java.util.List ? "list" : "scalar";
    }

    private static String oneLine(String s) {
        return s == null ? "unknown problem" : s.strip().replaceAll("\\s*\\n\\s*", " ");
    }

    /** SafeConstructor plus {@code !function name} -> {@link FunctionRef}. */
    private static final class TaskConstructor extends SafeConstructor {
        TaskConstructor(LoaderOptions options) {
            super(options);
            this.yamlConstructors.put(new Tag("!function"), new AbstractConstruct() {
                @Override
                public Object construct(Node node) {
                    if (!(node instanceof ScalarNode scalar)) {
                        throw new YAMLException("!function must name a function, e.g. !function utils.process_docs");
                    }
                    return new FunctionRef(scalar.getValue().strip());
                }
            });
        }
    }
}
