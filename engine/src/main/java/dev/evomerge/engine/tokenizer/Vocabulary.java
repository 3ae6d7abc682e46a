package dev.evomerge.engine.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.evomerge.core.EvomergeException;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;

/** The id to token-string table of a tokenizer.json: the model's vocabulary plus its added tokens. */
final class Vocabulary {

    private final String[] byId;
    private final Map<String, Integer> byToken;
    private final Map<Integer, AddedToken> added;

    private Vocabulary(String[] byId, Map<String, Integer> byToken, Map<Integer, AddedToken> added) {
        this.byId = byId;
        this.byToken = byToken;
        this.added = added;
    }

    /** Reads model.vocab (an object token -> id, or Unigram's list of [token, score]) and added_tokens. */
    static Vocabulary of(JsonNode root, Path file) {
        Map<Integer, String> ids = new HashMap<>();
        Map<String, Integer> tokens = new HashMap<>();
        JsonNode vocab = root.path("model").path("vocab");
        if (vocab.isObject()) {
            for (var e : vocab.properties()) {
                if (!e.getValue().canConvertToInt()) {
                    throw EvomergeException.usage(file + ": model.vocab entry '" + e.getKey() + "' has no integer id.");
                }
                put(ids, tokens, e.getValue().intValue(), e.getKey());
            }
        } else if (vocab.isArray()) {
            int i = 0;
            for (JsonNode e : vocab) {
                if (!e.isArray() || !e.path(0).isTextual()) {
                    throw EvomergeException.usage(file + ": model.vocab entry " + i + " is not [token, score].");
                }
                put(ids, tokens, i++, e.get(0).asText());
            }
        } else {
            throw EvomergeException.usage(file + ": model.vocab is missing; not a Hugging Face tokenizer.json.");
        }
        Map<Integer, AddedToken> added = new TreeMap<>();
        for (JsonNode t : root.path("added_tokens")) {
            if (!t.path("id").canConvertToInt() || !t.path("content").isTextual()) {
                throw EvomergeException.usage(file + ": an added_tokens entry lacks an integer 'id' or string 'content'.");
            }
            AddedToken token = new AddedToken(t.get("id").intValue(), t.get("content").asText(),
                    t.path("special").asBoolean(false));
            added.put(token.id(), token);
            put(ids, tokens, token.id(), token.content());
        }
        int size = ids.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        String[] byId = new String[size];
        ids.forEach((id, tok) -> byId[id] = tok);
        return new Vocabulary(byId, tokens, added);
    }

    private static void put(Map<Integer, String> ids, Map<String, Integer> tokens, int id, String token) {
        if (id < 0) {
            throw EvomergeException.usage("tokenizer.json: token '" + token + "' has a negative id " + id + ".");
        }
        ids.put(id, token);
        tokens.putIfAbsent(token, id);
    }

    int size() {
        return byId.length;
    }

    /** The token string of an id, or null for an id no token has. */
    String token(int id) {
        return id >= 0 && id < byId.length ? byId[id] : null;
    }

    OptionalInt id(String token) {
        Integer id = byToken.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    List<AddedToken> added() {
        return List.copyOf(added.values());
    }

    boolean isSpecial(int id) {
        AddedToken t = added.get(id);
        return t != null && t.special();
    }
}
