package dev.evomerge.engine.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.JsonInput;
import dev.evomerge.core.io.Reasons;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reading the small JSON files of a model directory, with errors that name the file and key. */
final class JsonFiles {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private JsonFiles() {
    }

    /** The file's JSON object, or empty when the file does not exist. */
    static Optional<JsonNode> readOptional(Path file) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        return Optional.of(read(file));
    }

    /** The file's JSON object. */
    static JsonNode read(Path file) {
        try {
            JsonNode node = JsonInput.readTree(MAPPER, Files.readAllBytes(file));
            if (!node.isObject()) {
                throw EvomergeException.usage(file + " is not a JSON object.");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw EvomergeException.usage(file + " is not valid JSON: " + Reasons.json(e) + ".", e);
        } catch (NoSuchFileException e) {
            throw EvomergeException.usage(file + " does not exist.", e);
        } catch (IOException e) {
            throw EvomergeException.runtime("could not read " + file + ": " + Reasons.of(e), e);
        }
    }

    /** A token written as a string or as an AddedToken object ({@code {"content": ...}}); empty for null/absent. */
    static Optional<String> tokenString(JsonNode parent, String key, Path file) {
        JsonNode v = parent.get(key);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (v.isTextual()) {
            return Optional.of(v.asText());
        }
        if (v.isObject() && v.path("content").isTextual()) {
            return Optional.of(v.get("content").asText());
        }
        throw EvomergeException.usage(file + ": key '" + key
                + "' must be a string or an object with a string 'content', got " + v);
    }

    /** An optional boolean key. */
    static Optional<Boolean> bool(JsonNode parent, String key, Path file) {
        JsonNode v = parent.get(key);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isBoolean()) {
            throw EvomergeException.usage(file + ": key '" + key + "' must be true or false, got " + v);
        }
        return Optional.of(v.booleanValue());
    }

    /** A key holding a token id or a list of token ids (config.json / generation_config.json eos_token_id). */
    static List<Integer> intOrList(JsonNode parent, String key, Path file) {
        JsonNode v = parent.get(key);
        List<Integer> out = new ArrayList<>();
        if (v == null || v.isNull()) {
            return out;
        }
        if (v.canConvertToInt() && v.isIntegralNumber()) {
            out.add(v.intValue());
            return out;
        }
        if (v.isArray()) {
            for (JsonNode e : v) {
                if (!e.isIntegralNumber() || !e.canConvertToInt()) {
                    throw EvomergeException.usage(file + ": key '" + key + "' must list token ids, got " + v);
                }
                out.add(e.intValue());
            }
            return out;
        }
        throw EvomergeException.usage(file + ": key '" + key + "' must be a token id or a list of them, got " + v);
    }

    static ObjectMapper mapper() {
        return MAPPER;
    }
}
