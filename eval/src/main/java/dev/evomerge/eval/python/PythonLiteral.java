package dev.evomerge.eval.python;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The subset of Python's {@code ast.literal_eval} that lm-eval applies to rendered templates: strings (single,
 * double, triple quoted, with escapes and adjacent concatenation), ints, floats, True/False/None, lists, tuples
 * (returned as lists) and dicts. Numbers come back as Long (BigInteger when large) or Double.
 */
public final class PythonLiteral {

    private final String text;
    private int pos;

    private PythonLiteral(String text) {
        this.text = text;
    }

    /**
     * Parses {@code text} as one Python literal.
     *
     * @throws IllegalArgumentException with a short reason when the text is not a literal
     */
    public static Object parse(String text) {
        PythonLiteral p = new PythonLiteral(text);
        p.skipSpace();
        Object value = p.value();
        p.skipSpace();
        if (p.pos != text.length()) {
            throw p.error("unexpected text after the value");
        }
        return value;
    }

    private Object value() {
        if (pos >= text.length()) {
            throw error("expected a value");
        }
        char c = text.charAt(pos);
        if (c == '[') {
            return sequence(']');
        }
        if (c == '(') {
            return sequence(')');
        }
        if (c == '{') {
            return dict();
        }
        if (isStringStart()) {
            StringBuilder joined = new StringBuilder(string());
            // Python concatenates adjacent string literals.
            while (true) {
                int save = pos;
                skipSpace();
                if (pos < text.length() && isStringStart()) {
                    joined.append(string());
                } else {
                    pos = save;
                    break;
                }
            }
            return joined.toString();
        }
        if (c == '-' || c == '+' || Character.isDigit(c) || c == '.') {
            return number();
        }
        if (text.startsWith("True", pos)) {
            pos += 4;
            return Boolean.TRUE;
        }
        if (text.startsWith("False", pos)) {
            pos += 5;
            return Boolean.FALSE;
        }
        if (text.startsWith("None", pos)) {
            pos += 4;
            return null;
        }
        throw error("not a literal");
    }

    private boolean isStringStart() {
        char c = text.charAt(pos);
        if (c == '\'' || c == '"') {
            return true;
        }
        // string prefixes: r, u, b (and combinations) followed by a quote
        int p = pos;
        while (p < text.length() && "rRuUbB".indexOf(text.charAt(p)) >= 0 && p - pos < 2) {
            p++;
        }
        return p > pos && p < text.length() && (text.charAt(p) == '\'' || text.charAt(p) == '"');
    }

    private List<Object> sequence(char close) {
        pos++;
        List<Object> out = new ArrayList<>();
        skipSpace();
        if (peek(close)) {
            pos++;
            return out;
        }
        while (true) {
            skipSpace();
            out.add(value());
            skipSpace();
            if (peek(',')) {
                pos++;
                skipSpace();
                if (peek(close)) {
                    pos++;
                    return out;
                }
            } else if (peek(close)) {
                pos++;
                return out;
            } else {
                throw error("expected ',' or '" + close + "'");
            }
        }
    }

    private Map<Object, Object> dict() {
        pos++;
        Map<Object, Object> out = new LinkedHashMap<>();
        skipSpace();
        if (peek('}')) {
            pos++;
            return out;
        }
        while (true) {
            skipSpace();
            Object key = value();
            skipSpace();
            if (!peek(':')) {
                throw error("expected ':' in a dict");
            }
            pos++;
            skipSpace();
            out.put(key, value());
            skipSpace();
            if (peek(',')) {
                pos++;
                skipSpace();
                if (peek('}')) {
                    pos++;
                    return out;
                }
            } else if (peek('}')) {
                pos++;
                return out;
            } else {
                throw error("expected ',' or '}'");
            }
        }
    }

    private String string() {
        boolean raw = false;
        while ("rRuUbB".indexOf(text.charAt(pos)) >= 0) {
            raw |= Character.toLowerCase(text.charAt(pos)) == 'r';
            pos++;
        }
        char quote = text.charAt(pos);
        boolean triple = text.startsWith(String.valueOf(quote).repeat(3), pos);
        pos += triple ? 3 : 1;
        StringBuilder out = new StringBuilder();
        while (true) {
            if (pos >= text.length()) {
                throw error("unterminated string");
            }
            char c = text.charAt(pos);
            if (triple ? text.startsWith(String.valueOf(quote).repeat(3), pos) : c == quote) {
                pos += triple ? 3 : 1;
                return out.toString();
            }
            // A raw line break inside a one-line string is accepted: Jinja renderers print list items unescaped.
            if (c == '\\' && pos + 1 < text.length()) {
                char e = text.charAt(pos + 1);
                if (raw) {
                    out.append(c).append(e);
                    pos += 2;
                    continue;
                }
                pos += 2;
                switch (e) {
                    case 'n' -> out.append('\n');
                    case 't' -> out.append('\t');
                    case 'r' -> out.append('\r');
                    case '0' -> out.append('\0');
                    case 'a' -> out.append('\u0007');
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case 'v' -> out.append('\u000b');
                    case '\\' -> out.append('\\');
                    case '\'' -> out.append('\'');
                    case '"' -> out.append('"');
                    case '\n' -> {
                    }
                    case 'x' -> out.appendCodePoint(hex(2));
                    case 'u' -> out.appendCodePoint(hex(4));
                    case 'U' -> out.appendCodePoint(hex(8));
                    default -> out.append('\\').append(e);
                }
                continue;
            }
            out.append(c);
            pos++;
        }
    }

    private int hex(int n) {
        if (pos + n > text.length()) {
            throw error("truncated escape");
        }
        try {
            int v = Integer.parseInt(text.substring(pos, pos + n), 16);
            pos += n;
            return v;
        } catch (NumberFormatException e) {
            throw error("bad escape");
        }
    }

    private Object number() {
        int start = pos;
        if (peek('-') || peek('+')) {
            pos++;
            skipSpace();
        }
        int digitsStart = pos;
        boolean isFloat = false;
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (Character.isDigit(c) || c == '_') {
                pos++;
            } else if (c == '.' || c == 'e' || c == 'E') {
                isFloat = true;
                pos++;
                if ((c == 'e' || c == 'E') && pos < text.length() && (peek('-') || peek('+'))) {
                    pos++;
                }
            } else {
                break;
            }
        }
        String body = text.substring(digitsStart, pos).replace("_", "");
        boolean negative = text.charAt(start) == '-';
        if (body.isEmpty()) {
            throw error("expected a number");
        }
        try {
            if (isFloat) {
                double d = Double.parseDouble(body);
                return negative ? -d : d;
            }
            BigInteger v = new BigInteger(body);
            if (negative) {
                v = v.negate();
            }
            return v.bitLength() < 64 ? (Object) v.longValue() : v;
        } catch (NumberFormatException e) {
            throw error("bad number '" + body + "'");
        }
    }

    private boolean peek(char c) {
        return pos < text.length() && text.charAt(pos) == c;
    }

    private void skipSpace() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
    }

    private IllegalArgumentException error(String why) {
        return new IllegalArgumentException(why + " at character " + pos);
    }
}
