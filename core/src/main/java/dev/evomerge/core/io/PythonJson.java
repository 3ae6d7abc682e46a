package dev.evomerge.core.io;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Iterator;
import java.util.Map;

/**
 * JSON text laid out as Python's {@code json.dumps(obj, indent=2)} writes it, which is what transformers'
 * save_pretrained produces for config.json, generation_config.json and tokenizer_config.json: two-space indent,
 * {@code ": "} between key and value, floats in Python's shortest repr ({@code 1e-05}, {@code 10000.0}).
 * Keys are written in the node's order; callers that want transformers' sorted keys build the node sorted.
 * With ensureAscii false the output equals what Rust's serde_json pretty printer writes for float-free documents
 * (the tokenizers library's tokenizer.json).
 */
public final class PythonJson {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private PythonJson() {
    }

    /** The document followed by a newline, as save_pretrained writes files. */
    public static String document(JsonNode node, boolean ensureAscii) {
        StringBuilder out = new StringBuilder();
        write(out, node, 0, ensureAscii);
        return out.append('\n').toString();
    }

    /** The document without a trailing newline. */
    public static String write(JsonNode node, boolean ensureAscii) {
        StringBuilder out = new StringBuilder();
        write(out, node, 0, ensureAscii);
        return out.toString();
    }

    private static void write(StringBuilder out, JsonNode node, int depth, boolean ascii) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            out.append("null");
        } else if (node.isObject()) {
            if (node.isEmpty()) {
                out.append("{}");
                return;
            }
            out.append("{\n");
            Iterator<Map.Entry<String, JsonNode>> it = node.properties().iterator();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                indent(out, depth + 1);
                appendString(out, e.getKey(), ascii);
                out.append(": ");
                write(out, e.getValue(), depth + 1, ascii);
                out.append(it.hasNext() ? ",\n" : "\n");
            }
            indent(out, depth);
            out.append('}');
        } else if (node.isArray()) {
            if (node.isEmpty()) {
                out.append("[]");
                return;
            }
            out.append("[\n");
            for (int i = 0; i < node.size(); i++) {
                indent(out, depth + 1);
                write(out, node.get(i), depth + 1, ascii);
                out.append(i + 1 < node.size() ? ",\n" : "\n");
            }
            indent(out, depth);
            out.append(']');
        } else if (node.isTextual()) {
            appendString(out, node.textValue(), ascii);
        } else if (node.isBoolean()) {
            out.append(node.booleanValue() ? "true" : "false");
        } else if (node.isIntegralNumber()) {
            out.append(node.bigIntegerValue().toString());
        } else if (node.isFloatingPointNumber()) {
            out.append(node.isBigDecimal() ? node.decimalValue().toString() : jsonFloat(node.doubleValue()));
        } else {
            throw new IllegalArgumentException("cannot write JSON node of type " + node.getNodeType());
        }
    }

    /**
     * A double as Python's json module writes it: {@link PythonFloat#repr} for finite values, {@code NaN},
     * {@code Infinity} and {@code -Infinity} otherwise.
     */
    public static String jsonFloat(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        return PythonFloat.repr(d);
    }

    private static void indent(StringBuilder out, int depth) {
        out.append("  ".repeat(depth));
    }

    /**
     * A JSON string literal: quote, backslash and control characters escaped as Python's json and Rust's serde_json
     * both write them; with {@code ascii} also everything outside printable ASCII (Python's ensure_ascii=True).
     */
    public static void appendString(StringBuilder out, String s, boolean ascii) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    // Python's ensure_ascii escapes everything outside printable ASCII (DEL included),
                    // UTF-16 code unit by code unit, which is exactly Java's char.
                    if (c < 0x20 || (ascii && c > 0x7e)) {
                        out.append("\\u").append(HEX[(c >> 12) & 0xF]).append(HEX[(c >> 8) & 0xF])
                                .append(HEX[(c >> 4) & 0xF]).append(HEX[c & 0xF]);
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
