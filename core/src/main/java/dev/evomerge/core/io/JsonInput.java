package dev.evomerge.core.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;

/**
 * Reads exactly one JSON value. Jackson stops after the first value and ignores whatever follows, so
 * {@code {"a": 1} garbage} would pass as {@code {"a": 1}}; here anything but whitespace after the value is an error
 * at its position (as Python's json.loads says "Extra data"). {@link Reasons#json} describes the errors.
 */
public final class JsonInput {

    private JsonInput() {
    }

    /** The one value of {@code bytes} (UTF-8/16/32 JSON), or null when there is none (empty or only whitespace). */
    public static JsonNode readTree(ObjectMapper mapper, byte[] bytes) throws IOException {
        try (JsonParser p = mapper.createParser(bytes)) {
            return one(mapper, p);
        }
    }

    /** The one value of {@code text}, or null when there is none. */
    public static JsonNode readTree(ObjectMapper mapper, String text) throws IOException {
        try (JsonParser p = mapper.createParser(text)) {
            return one(mapper, p);
        }
    }

    private static JsonNode one(ObjectMapper mapper, JsonParser p) throws IOException {
        JsonNode node = mapper.readTree(p);
        if (node == null) {
            return null;
        }
        JsonLocation after = p.currentLocation();
        boolean more;
        try {
            more = p.nextToken() != null;
        } catch (JacksonException e) {
            more = true; // not even a token: still text after the value
        }
        if (more) {
            throw new JsonParseException(p, "there is more text after the end of the JSON value", after);
        }
        return node;
    }
}
