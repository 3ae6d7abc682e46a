package dev.evomerge.eval.python;

import dev.evomerge.core.io.PythonFloat;

import java.math.BigDecimal;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code str()} and {@code repr()} of the plain values documents hold (str, int, float, bool, None, list,
 * dict), and a few {@code str} predicates, so that targets and choices print as lm-eval prints them.
 */
public final class PythonValues {

    private PythonValues() {
    }

    /** {@code str(value)}. */
    public static String str(Object value) {
        if (value instanceof String s) {
            return s;
        }
        return repr(value);
    }

    /** {@code repr(value)}. */
    public static String repr(Object value) {
        StringBuilder out = new StringBuilder();
        repr(out, value);
        return out.toString();
    }

    private static void repr(StringBuilder out, Object value) {
        switch (value) {
            case null -> out.append("None");
            case String s -> out.append(stringRepr(s));
            case Boolean b -> out.append(b ? "True" : "False");
            case Double d -> out.append(PythonFloat.repr(d));
            case Float f -> out.append(PythonFloat.repr(f.doubleValue()));
            case BigDecimal d -> out.append(PythonFloat.repr(d.doubleValue()));
            case Number n -> out.append(n.toString());
            case List<?> list -> {
                out.append('[');
                for (int i = 0; i < list.size(); i++) {
                    if (i > 0) {
                        out.append(", ");
                    }
                    repr(out, list.get(i));
                }
                out.append(']');
            }
            case Map<?, ?> map -> {
                out.append('{');
                Iterator<? extends Map.Entry<?, ?>> it = map.entrySet().iterator();
                while (it.hasNext()) {
                    Map.Entry<?, ?> e = it.next();
                    repr(out, e.getKey());
                    out.append(": ");
                    repr(out, e.getValue());
                    if (it.hasNext()) {
                        out.append(", ");
                    }
                }
                out.append('}');
            }
            default -> out.append(value);
        }
    }

    /** Python's repr of a str: single quotes unless the text has a single quote and no double quote. */
    public static String stringRepr(String s) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder out = new StringBuilder(s.length() + 2).append(quote);
        s.codePoints().forEach(cp -> {
            switch (cp) {
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (cp == quote) {
                        out.append('\\').append((char) cp);
                    } else if (cp < 0x20 || cp == 0x7f) {
                        out.append(String.format("\\x%02x", cp));
                    } else {
                        out.appendCodePoint(cp);
                    }
                }
            }
        });
        return out.append(quote).toString();
    }

    /** {@code str.isdigit()}: non-empty and every character a Unicode digit. */
    public static boolean isDigit(String s) {
        return !s.isEmpty() && s.codePoints().allMatch(Character::isDigit);
    }

    /** {@code str.isspace()}: non-empty and every character whitespace. */
    public static boolean isSpace(String s) {
        return !s.isEmpty() && s.codePoints().allMatch(PythonValues::isWhitespace);
    }

    /** Python's notion of a whitespace character (str.isspace / str.strip with no argument). */
    public static boolean isWhitespace(int cp) {
        return Character.isWhitespace(cp) || Character.isSpaceChar(cp) || cp == 0x1c || cp == 0x1d || cp == 0x1e
                || cp == 0x1f || cp == 0x85;
    }

    /** {@code len(s)} in Python: code points, not UTF-16 units. */
    public static int length(String s) {
        return s.codePointCount(0, s.length());
    }

    /** {@code s.strip()}. */
    public static String strip(String s) {
        return rstrip(lstrip(s));
    }

    /** {@code s.rstrip()}. */
    public static String rstrip(String s) {
        int end = s.length();
        while (end > 0) {
            int cp = s.codePointBefore(end);
            if (!isWhitespace(cp)) {
                break;
            }
            end -= Character.charCount(cp);
        }
        return s.substring(0, end);
    }

    /** {@code s.lstrip()}. */
    public static String lstrip(String s) {
        int start = 0;
        while (start < s.length()) {
            int cp = s.codePointAt(start);
            if (!isWhitespace(cp)) {
                break;
            }
            start += Character.charCount(cp);
        }
        return s.substring(start);
    }
}
