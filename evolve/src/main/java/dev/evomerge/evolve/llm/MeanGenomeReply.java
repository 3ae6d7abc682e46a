package dev.evomerge.evolve.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.Arrays;

/**
 * A validated LLM reply: the thought and the mean genome as flat percentages. {@link #parse} rejects anything unusable
 * with a sentence that is sent back to the LLM as the correction.
 */
record MeanGenomeReply(String thought, double[] meanPercent) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Thrown for a reply that cannot be used; the message tells the LLM what was wrong. */
    static final class Invalid extends Exception {
        Invalid(String message) {
            super(message);
        }
    }

    static MeanGenomeReply parse(String content, int[] dims) throws Invalid {
        JsonNode root = object(content);
        JsonNode mean = root.get("mean_genome");
        if (mean == null) {
            throw new Invalid("the key \"mean_genome\" is missing.");
        }
        return new MeanGenomeReply(thought(root), genome(mean, dims));
    }

    /** The reply as a JSON object (code fences around it are dropped). */
    static JsonNode object(String content) throws Invalid {
        JsonNode root;
        try {
            root = JSON.readTree(stripFences(content));
        } catch (Exception e) {
            throw new Invalid("the reply is not valid JSON.");
        }
        if (root == null || !root.isObject()) {
            throw new Invalid("the reply is not a JSON object.");
        }
        return root;
    }

    /** The reply's "thought", or "" when it has none. */
    static String thought(JsonNode root) {
        JsonNode thought = root.get("thought");
        return thought != null && thought.isTextual() ? thought.asText() : "";
    }

    /** One genome in percent, flat: nested with {@code dims}, or a flat list of the right length. */
    static double[] genome(JsonNode mean, int[] dims) throws Invalid {
        int n = Arrays.stream(dims).reduce(1, (a, b) -> a * b);
        double[] flat = new double[n];
        int[] filled = {0};
        if (mean.isArray() && mean.size() == n && n > 1 && isFlatNumbers(mean)) {
            // A flat list of the right length is unambiguous; accept it rather than spend a retry.
            for (JsonNode v : mean) {
                flat[filled[0]++] = value(v);
            }
        } else {
            walk(mean, dims, 0, flat, filled);
        }
        return flat;
    }

    private static boolean isFlatNumbers(JsonNode arr) {
        for (JsonNode v : arr) {
            if (!v.isNumber()) {
                return false;
            }
        }
        return true;
    }

    private static void walk(JsonNode node, int[] dims, int depth, double[] flat, int[] filled) throws Invalid {
        if (!node.isArray() || node.size() != dims[depth]) {
            throw new Invalid("\"mean_genome\" does not have the dimensions " + dimsText(dims) + " (axis " + (depth + 1)
                    + " should have " + dims[depth] + " entries).");
        }
        for (JsonNode child : node) {
            if (depth == dims.length - 1) {
                flat[filled[0]++] = value(child);
            } else {
                walk(child, dims, depth + 1, flat, filled);
            }
        }
    }

    private static double value(JsonNode v) throws Invalid {
        if (!v.isNumber()) {
            throw new Invalid("\"mean_genome\" contains a value that is not a number: " + v + ".");
        }
        double d = v.asDouble();
        if (!(d >= 0 && d <= 100)) {
            throw new Invalid("\"mean_genome\" contains " + v + ", outside 0 to 100.");
        }
        return d;
    }

    private static String stripFences(String s) {
        String t = s.strip();
        if (t.startsWith("```")) {
            int nl = t.indexOf('\n');
            int end = t.lastIndexOf("```");
            if (nl > 0 && end > nl) {
                return t.substring(nl + 1, end);
            }
        }
        return t;
    }

    static String dimsText(int[] dims) {
        return "(" + dims[0] + ", " + dims[1] + ", " + dims[2] + ", " + dims[3] + ")";
    }
}
