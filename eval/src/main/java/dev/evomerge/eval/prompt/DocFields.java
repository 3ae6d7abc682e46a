package dev.evomerge.eval.prompt;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.eval.function.BuiltinFunctions;
import dev.evomerge.eval.python.PythonLiteral;
import dev.evomerge.eval.python.PythonValues;
import dev.evomerge.eval.task.FunctionRef;
import dev.evomerge.eval.task.TaskConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * lm-eval's {@code doc_to_text}, {@code doc_to_target} and {@code doc_to_choice} for one task: an integer is used as
 * is; a string naming a dataset column gives that column; any other string is a Jinja template (a rendered target
 * or text of digits becomes an index when the task has choices; a rendered choice list is parsed as a Python list
 * literal); a list is used as is; a {@code !function} runs the built-in of that name.
 */
public final class DocFields {

    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private final TaskConfig task;
    private final TemplateRenderer renderer;
    private final Set<String> columns;

    /**
     * @param columns  the dataset's columns (keys of its first document), which decide column vs template
     * @param warnings told once per bare word that is not a column (used as literal text, as lm-eval does)
     */
    public DocFields(TaskConfig task, TemplateRenderer renderer, Set<String> columns, Consumer<String> warnings) {
        this.task = task;
        this.renderer = renderer;
        this.columns = Set.copyOf(columns);
        for (String key : List.of("doc_to_text", "doc_to_target")) {
            Object spec = key.equals("doc_to_text") ? task.docToText() : task.docToTarget();
            if (spec instanceof String s && IDENTIFIER.matcher(s).matches() && !columns.contains(s)) {
                warnings.accept(task.whereIs(key) + ": task " + task.name() + ": " + key + " '" + s
                        + "' is not a column of the dataset (columns: " + String.join(", ", sorted(columns))
                        + "), so it is used as literal text");
            }
        }
    }

    private static List<String> sorted(Set<String> s) {
        return s.stream().sorted().toList();
    }

    public TaskConfig task() {
        return task;
    }

    /** doc_to_text: a String, or a Long for tasks whose choices go into the context (winogrande style). */
    public Object text(Map<String, Object> doc, int index) {
        return text(doc, index, task.docToText());
    }

    /** doc_to_text with another spec (fewshot_config.doc_to_text). */
    public Object text(Map<String, Object> doc, int index, Object spec) {
        if (spec == null) {
            throw EvomergeException.usage(task.whereIs("task") + ": task " + task.name() + " has no doc_to_text");
        }
        Object v = resolve(spec, doc, index, "doc_to_text");
        if (v instanceof String s && PythonValues.isDigit(s) && task.docToChoice() != null
                && !(spec instanceof String col && columns.contains(col))) {
            return parseIndex(s);
        }
        if (v instanceof Long || v instanceof String) {
            return v;
        }
        if (v instanceof Number n) {
            return n.longValue();
        }
        return PythonValues.str(v);
    }

    /** doc_to_target: a String, a Long (choice index) or a List (several gold answers). */
    public Object target(Map<String, Object> doc, int index) {
        return target(doc, index, task.docToTarget());
    }

    /** doc_to_target with another spec (fewshot_config.doc_to_target). */
    public Object target(Map<String, Object> doc, int index, Object spec) {
        if (spec == null) {
            throw EvomergeException.usage(task.whereIs("task") + ": task " + task.name() + " has no doc_to_target");
        }
        boolean column = spec instanceof String col && columns.contains(col);
        Object v = resolve(spec, doc, index, "doc_to_target");
        if (v instanceof String s && !column && !(spec instanceof FunctionRef)) {
            if (PythonValues.isDigit(s) && task.docToChoice() != null) {
                return parseIndex(s);
            }
            if (s.length() >= 2 && s.startsWith("[") && s.endsWith("]")) {
                try {
                    return normalise(PythonLiteral.parse(s));
                } catch (IllegalArgumentException e) {
                    return s;
                }
            }
        }
        return normalise(v);
    }

    /** doc_to_choice as strings. */
    public List<String> choices(Map<String, Object> doc, int index) {
        return choices(doc, index, task.docToChoice());
    }

    /** doc_to_choice with another spec (fewshot_config.doc_to_choice). */
    public List<String> choices(Map<String, Object> doc, int index, Object spec) {
        if (spec == null) {
            throw EvomergeException.usage(task.whereIs("task") + ": task " + task.name() + " is " 
                    + task.outputType().yamlName() + " but has no doc_to_choice");
        }
        Object v;
        if (spec instanceof String s && !columns.contains(s)) {
            if (IDENTIFIER.matcher(s).matches()) {
                throw EvomergeException.usage(task.whereIs("doc_to_choice") + ": task " + task.name()
                        + ": doc_to_choice names column '" + s + "', which the dataset does not have (columns: "
                        + String.join(", ", sorted(columns)) + ")");
            }
            String rendered = renderer.render(s, doc, what("doc_to_choice"), index);
            try {
                v = PythonLiteral.parse(rendered);
            } catch (IllegalArgumentException e) {
                throw EvomergeException.usage(what("doc_to_choice") + ": document " + index + " rendered "
                        + PythonValues.stringRepr(abbreviate(rendered)) + ", which is not a Python list literal ("
                        + e.getMessage() + ")");
            }
        } else if (spec instanceof Map<?, ?> m) {
            v = new ArrayList<>(m.values());
        } else {
            v = resolve(spec, doc, index, "doc_to_choice");
        }
        if (!(v instanceof List<?> list)) {
            throw EvomergeException.usage(what("doc_to_choice") + ": document " + index
                    + " gives " + PythonValues.repr(v) + ", not a list of choices");
        }
        List<String> out = new ArrayList<>(list.size());
        for (Object o : list) {
            out.add(PythonValues.str(o));
        }
        if (out.isEmpty()) {
            throw EvomergeException.usage(what("doc_to_choice") + ": document " + index + " has no choices");
        }
        return out;
    }

    /** The task's description rendered for {@code doc} ("" when none). */
    public String description(Map<String, Object> doc, int index) {
        String d = task.description();
        return d == null || d.isEmpty() ? "" : renderer.render(d, doc, what("description"), index);
    }

    /** gen_prefix rendered for {@code doc}, or null when the task has none. */
    public String genPrefix(Map<String, Object> doc, int index) {
        String g = task.genPrefix();
        if (g == null) {
            return null;
        }
        return columns.contains(g) ? PythonValues.str(column(doc, g, index, "gen_prefix"))
                : renderer.render(g, doc, what("gen_prefix"), index);
    }

    private Object resolve(Object spec, Map<String, Object> doc, int index, String key) {
        return switch (spec) {
            case Long l -> l;
            case Integer i -> i.longValue();
            case String s when columns.contains(s) -> column(doc, s, index, key);
            case String s -> renderer.render(s, doc, what(key), index);
            case List<?> l -> l;
            case FunctionRef f -> BuiltinFunctions.docFunction(f, task.whereIs(key) + ": task " + task.name())
                    .apply(doc);
            default -> throw EvomergeException.usage(what(key) + " has an unsupported value " + spec);
        };
    }

    private Object column(Map<String, Object> doc, String column, int index, String key) {
        Object v = doc.get(column);
        if (v == null) {
            throw EvomergeException.usage(what(key) + ": document " + index + " has no value in column '" + column
                    + "'");
        }
        return v;
    }

    private String what(String key) {
        return "task " + task.name() + " " + key + " (" + task.whereIs(key) + ")";
    }

    private static Object normalise(Object v) {
        if (v instanceof Integer i) {
            return i.longValue();
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            l.forEach(x -> out.add(x instanceof Integer i ? i.longValue() : x));
            return out;
        }
        return v;
    }

    private static Long parseIndex(String digits) {
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            return (long) Character.getNumericValue(digits.codePointAt(0));
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 120 ? s.substring(0, 117) + "..." : s;
    }
}
