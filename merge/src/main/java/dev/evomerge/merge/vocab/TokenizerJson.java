package dev.evomerge.merge.vocab;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.core.EvomergeException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Hugging Face tokenizer.json as far as vocabulary surgery needs it: the model's vocabulary (BPE, WordLevel,
 * WordPiece or Unigram) plus the added tokens, together what transformers' {@code get_vocab()} returns.
 * Immutable; changes return a copy.
 */
final class TokenizerJson {

    static final String FILE = "tokenizer.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ObjectNode root;
    private final String source;

    private TokenizerJson(ObjectNode root, String source) {
        this.root = root;
        this.source = source;
    }

    /** The tokenizer.json of a model directory, or null when it has none. */
    static TokenizerJson read(Path dir) {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            JsonNode n = JSON.readTree(file.toFile());
            if (!(n instanceof ObjectNode o) || !(o.get("model") instanceof ObjectNode)) {
                throw EvomergeException.usage("Tokenizer " + file + " has no 'model' object.");
            }
            return new TokenizerJson(o, file.toString());
        } catch (JacksonException e) {
            throw EvomergeException.usage("Tokenizer " + file + " is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw EvomergeException.usage("Cannot read tokenizer " + file + ": " + e.getMessage(), e);
        }
    }

    ObjectNode json() {
        return root.deepCopy();
    }

    String source() {
        return source;
    }

    private ObjectNode model() {
        return (ObjectNode) root.get("model");
    }

    private boolean unigram() {
        return model().get("vocab") instanceof ArrayNode;
    }

    /** Token to id over the model vocabulary and the added tokens. */
    Map<String, Integer> vocab() {
        Map<String, Integer> out = new LinkedHashMap<>();
        JsonNode v = model().get("vocab");
        if (v instanceof ArrayNode list) {
            for (int i = 0; i < list.size(); i++) {
                out.put(list.get(i).get(0).asText(), i);
            }
        } else if (v instanceof ObjectNode map) {
            for (Map.Entry<String, JsonNode> e : map.properties()) {
                out.put(e.getKey(), e.getValue().asInt());
            }
        } else {
            throw EvomergeException.usage("Tokenizer " + source + " has no model vocabulary.");
        }
        for (ObjectNode t : addedTokens()) {
            out.put(t.get("content").asText(), t.get("id").asInt());
        }
        return out;
    }

    /** The added_tokens entries. */
    List<ObjectNode> addedTokens() {
        List<ObjectNode> out = new ArrayList<>();
        JsonNode a = root.get("added_tokens");
        if (a instanceof ArrayNode list) {
            list.forEach(n -> out.add((ObjectNode) n.deepCopy()));
        }
        return out;
    }

    /** Contents of the added tokens (the tokens transformers keeps apart from the model vocabulary). */
    Set<String> addedContents() {
        Set<String> s = new HashSet<>();
        addedTokens().forEach(t -> s.add(t.get("content").asText()));
        return s;
    }

    /** A copy without the tokens whose id is {@code >= size} (mergekit strips the base tokenizer to the config's vocab size). */
    TokenizerJson strippedTo(int size) {
        ObjectNode copy = root.deepCopy();
        ObjectNode model = (ObjectNode) copy.get("model");
        JsonNode v = model.get("vocab");
        Set<String> kept = new HashSet<>();
        if (v instanceof ArrayNode list) {
            while (list.size() > size) {
                list.remove(list.size() - 1);
            }
            list.forEach(e -> kept.add(e.get(0).asText()));
        } else if (v instanceof ObjectNode map) {
            ObjectNode m = JSON.createObjectNode();
            for (Map.Entry<String, JsonNode> e : map.properties()) {
                if (e.getValue().asInt() < size) {
                    m.set(e.getKey(), e.getValue());
                    kept.add(e.getKey());
                }
            }
            model.set("vocab", m);
        }
        if (model.get("merges") instanceof ArrayNode merges) {
            ArrayNode keptMerges = JSON.createArrayNode();
            for (JsonNode mg : merges) {
                String[] parts = mg.isArray() ? new String[] {mg.get(0).asText(), mg.get(1).asText()}
                        : mg.asText().split(" ", 2);
                if (parts.length == 2 && kept.contains(parts[0]) && kept.contains(parts[1])
                        && kept.contains(parts[0] + parts[1])) {
                    keptMerges.add(mg);
                }
            }
            model.set("merges", keptMerges);
        }
        if (copy.get("added_tokens") instanceof ArrayNode added) {
            ArrayNode keptAdded = JSON.createArrayNode();
            added.forEach(t -> {
                if (t.get("id").asInt() < size) {
                    keptAdded.add(t);
                }
            });
            copy.set("added_tokens", keptAdded);
        }
        return new TokenizerJson(copy, source);
    }

    /** A copy with these entries appended to added_tokens (each already carrying its id). */
    TokenizerJson withAddedTokens(List<ObjectNode> tokens) {
        if (tokens.isEmpty()) {
            return this;
        }
        ObjectNode copy = root.deepCopy();
        ArrayNode added = copy.get("added_tokens") instanceof ArrayNode a ? a : copy.putArray("added_tokens");
        tokens.forEach(added::add);
        copy.set("added_tokens", added);
        return new TokenizerJson(copy, source);
    }

    /** The entry transformers' {@code add_tokens("text")} creates: a normalized, non-special token. */
    static ObjectNode plainAddedToken(int id, String content) {
        ObjectNode t = JSON.createObjectNode();
        t.put("id", id);
        t.put("content", content);
        t.put("single_word", false);
        t.put("lstrip", false);
        t.put("rstrip", false);
        t.put("normalized", true);
        t.put("special", false);
        return t;
    }

    boolean isUnigram() {
        return unigram();
    }
}
