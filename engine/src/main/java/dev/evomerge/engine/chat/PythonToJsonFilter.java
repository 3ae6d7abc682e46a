package dev.evomerge.engine.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.objects.SafeString;
import dev.evomerge.core.io.PythonJson;

import java.util.Map;

/**
 * {@code tojson} as transformers defines it for chat templates: Python's
 * {@code json.dumps(x, ensure_ascii=False, indent=None)} (", " and ": " separators), with the {@code indent} and
 * {@code ensure_ascii} keyword arguments.
 */
final class PythonToJsonFilter implements Filter {

    @Override
    public String getName() {
        return "tojson";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
        return filter(var, interpreter, args, Map.of());
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
        Object indentArg = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
        Integer indent = indentArg instanceof Number n ? Integer.valueOf(n.intValue())
                : indentArg == null ? null : Integer.valueOf(Integer.parseInt(indentArg.toString()));
        boolean ascii = Boolean.TRUE.equals(kwargs.get("ensure_ascii"));
        StringBuilder out = new StringBuilder();
        write(out, var, indent, 0, ascii);
        return out.toString();
    }

    static void write(StringBuilder out, Object v, Integer indent, int depth, boolean ascii) {
        if (v == null) {
            out.append("null");
        } else if (v instanceof Boolean b) {
            out.append(b ? "true" : "false");
        } else if (v instanceof Double || v instanceof Float || v instanceof java.math.BigDecimal) {
            out.append(PythonJson.jsonFloat(((Number) v).doubleValue()));
        } else if (v instanceof Number n) {
            out.append(n);
        } else if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                out.append("{}");
                return;
            }
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) {
                    out.append(indent == null ? ", " : ",");
                }
                first = false;
                newline(out, indent, depth + 1);
                PythonJson.appendString(out, String.valueOf(e.getKey()), ascii);
                out.append(": ");
                write(out, e.getValue(), indent, depth + 1, ascii);
            }
            newline(out, indent, depth);
            out.append('}');
        } else if (v instanceof Iterable<?> || v instanceof Object[]) {
            Iterable<?> items = v instanceof Object[] arr ? java.util.Arrays.asList(arr) : (Iterable<?>) v;
            if (!items.iterator().hasNext()) {
                out.append("[]");
                return;
            }
            out.append('[');
            boolean first = true;
            for (Object o : items) {
                if (!first) {
                    out.append(indent == null ? ", " : ",");
                }
                first = false;
                newline(out, indent, depth + 1);
                write(out, o, indent, depth + 1, ascii);
            }
            newline(out, indent, depth);
            out.append(']');
        } else if (v instanceof SafeString s) {
            PythonJson.appendString(out, s.getValue(), ascii);
        } else {
            PythonJson.appendString(out, v.toString(), ascii);
        }
    }

    private static void newline(StringBuilder out, Integer indent, int depth) {
        if (indent != null) {
            out.append('\n').append(" ".repeat(indent * depth));
        }
    }
}
