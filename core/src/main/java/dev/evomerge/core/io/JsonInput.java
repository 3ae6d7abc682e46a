package dev.evomerge.core.io;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.io.ContentReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;

import java.io.IOException;
import java.util.function.IntUnaryOperator;

/**
 * Reads exactly one JSON value. Jackson stops after the first value and ignores whatever follows, so
 * {@code {"a": 1} garbage} would pass as {@code {"a": 1}}; here anything but whitespace after the value is an error
 * at its position (as Python's json.loads says "Extra data"). {@link Reasons#json} describes the errors.
 */
public final class JsonInput {

    private JsonInput() {
    }

    /**
     * The one value of {@code bytes} (UTF-8 JSON); a missing node when there is none (empty or only whitespace),
     * as {@link ObjectMapper#readTree(byte[])} answers.
     */
    public static JsonNode readTree(ObjectMapper mapper, byte[] bytes) throws IOException {
        try (JsonParser p = mapper.createParser(bytes)) {
            JsonNode node = mapper.readTree(p);
            if (node == null) {
                return MissingNode.getInstance();
            }
            int at = skipWhitespace(i -> bytes[i], bytes.length, (int) p.currentLocation().getByteOffset());
            if (at < bytes.length) {
                throw trailing(p, i -> bytes[i], at);
            }
            return node;
        }
    }

    /** The one value of {@code text}; a missing node when there is none. */
    public static JsonNode readTree(ObjectMapper mapper, String text) throws IOException {
        try (JsonParser p = mapper.createParser(text)) {
            JsonNode node = mapper.readTree(p);
            if (node == null) {
                return MissingNode.getInstance();
            }
            int at = skipWhitespace(text::charAt, text.length(), (int) p.currentLocation().getCharOffset());
            if (at < text.length()) {
                throw trailing(p, text::charAt, at);
            }
            return node;
        }
    }

    private static int skipWhitespace(IntUnaryOperator unit, int length, int from) {
        int i = from;
        while (i < length && (unit.applyAsInt(i) == ' ' || unit.applyAsInt(i) == '\t' || unit.applyAsInt(i) == '\n'
                || unit.applyAsInt(i) == '\r')) {
            i++;
        }
        return i;
    }

    /** An error at the first character after the value, with its line and column counted from the start. */
    private static JsonParseException trailing(JsonParser p, IntUnaryOperator unit, int at) {
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < at; i++) {
            if (unit.applyAsInt(i) == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        JsonLocation where = new JsonLocation(ContentReference.unknown(), at, at, line, at - lineStart + 1);
        return new JsonParseException(p, "there is more text after the end of the JSON value", where);
    }
}
