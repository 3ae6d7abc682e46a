package dev.evomerge.eval.task;

import java.util.Map;

/**
 * One parsed task YAML file: its top-level mapping (values are String, Long/BigInteger, Double, Boolean, null,
 * List, Map or {@link FunctionRef}) and the 1-based line of each top-level key, for messages.
 */
public record YamlDocument(TaskFile file, Map<String, Object> values, Map<String, Integer> keyLines) {

    public YamlDocument {
        values = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(values));
        keyLines = Map.copyOf(keyLines);
    }

    /** "file:line" for a top-level key, or just the file when the key is not in this file. */
    public String where(String key) {
        Integer line = keyLines.get(key);
        return line == null ? file.describe() : file.describe() + ":" + line;
    }
}
