package dev.evomerge.core.safetensors;

import dev.evomerge.core.io.PythonJson;

/**
 * JSON string literals written the way the two reference writers spell them, so our files and indexes are
 * byte-identical to theirs for the same content.
 */
final class JsonText {

    private JsonText() {
    }

    /**
     * A string literal as Rust's serde_json writes it (the safetensors header): UTF-8 kept as is, only the quote,
     * the backslash and control characters escaped.
     */
    static void appendHeaderString(StringBuilder out, String s) {
        PythonJson.appendString(out, s, false);
    }

    /**
     * A string literal as Python's json.dumps writes it with its default ensure_ascii=True (transformers'
     * index files): everything outside printable ASCII becomes a lowercase \\uXXXX escape of its UTF-16 units.
     */
    static void appendPythonString(StringBuilder out, String s) {
        PythonJson.appendString(out, s, true);
    }

    /** Orders strings by Unicode code point, as Python's sorted() and json.dumps(sort_keys=True) do. */
    static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}
