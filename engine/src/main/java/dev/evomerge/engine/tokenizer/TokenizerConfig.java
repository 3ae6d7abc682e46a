package dev.evomerge.engine.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.evomerge.core.EvomergeException;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What a model directory's tokenizer_config.json (falling back to special_tokens_map.json for the special tokens)
 * says about tokenization. Absent keys are empty.
 *
 * @param addBosToken               {@code add_bos_token}: when set, it (not tokenizer.json's post-processor) decides
 *                                  whether encoding with special tokens prepends BOS, as transformers' Llama-family
 *                                  fast tokenizers do
 * @param addEosToken               {@code add_eos_token}, likewise for appending EOS
 * @param cleanUpTokenizationSpaces {@code clean_up_tokenization_spaces} (default false): decode removes the space
 *                                  before punctuation and English contractions
 * @param addedTokensDecoder        {@code added_tokens_decoder}: id to added token
 * @param chatTemplates             {@code chat_template}: a single template under the name {@code default}, or the
 *                                  named templates of a list, in file order
 */
public record TokenizerConfig(Optional<Boolean> addBosToken, Optional<Boolean> addEosToken,
                              Optional<String> bosToken, Optional<String> eosToken, Optional<String> padToken,
                              Optional<String> unkToken, boolean cleanUpTokenizationSpaces,
                              Map<Integer, AddedToken> addedTokensDecoder, Map<String, String> chatTemplates) {

    public static final String FILE = "tokenizer_config.json";
    public static final String SPECIAL_TOKENS_MAP = "special_tokens_map.json";

    public TokenizerConfig {
        addedTokensDecoder = Map.copyOf(addedTokensDecoder);
        chatTemplates = Collections.unmodifiableMap(new LinkedHashMap<>(chatTemplates));
    }

    /** A configuration with nothing set. */
    public static TokenizerConfig empty() {
        return new TokenizerConfig(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), false, Map.of(), Map.of());
    }

    /** Reads {@code modelDir}/tokenizer_config.json and special_tokens_map.json; both are optional. */
    public static TokenizerConfig read(Path modelDir) {
        Path file = modelDir.resolve(FILE);
        Path mapFile = modelDir.resolve(SPECIAL_TOKENS_MAP);
        JsonNode cfg = JsonFiles.readOptional(file).orElse(null);
        JsonNode map = JsonFiles.readOptional(mapFile).orElse(null);
        if (cfg == null && map == null) {
            return empty();
        }
        JsonNode c = cfg == null ? JsonFiles.mapper().createObjectNode() : cfg;
        return new TokenizerConfig(
                JsonFiles.bool(c, "add_bos_token", file),
                JsonFiles.bool(c, "add_eos_token", file),
                special(c, map, "bos_token", file, mapFile),
                special(c, map, "eos_token", file, mapFile),
                special(c, map, "pad_token", file, mapFile),
                special(c, map, "unk_token", file, mapFile),
                JsonFiles.bool(c, "clean_up_tokenization_spaces", file).orElse(false),
                addedTokens(c, file),
                chatTemplates(c, file));
    }

    private static Optional<String> special(JsonNode cfg, JsonNode map, String key, Path file, Path mapFile) {
        if (cfg.has(key)) {
            // an explicit null in tokenizer_config.json means "no such token", whatever the map says
            return JsonFiles.tokenString(cfg, key, file);
        }
        return map == null ? Optional.empty() : JsonFiles.tokenString(map, key, mapFile);
    }

    private static Map<Integer, AddedToken> addedTokens(JsonNode cfg, Path file) {
        JsonNode decoder = cfg.get("added_tokens_decoder");
        Map<Integer, AddedToken> out = new TreeMap<>();
        if (decoder == null || decoder.isNull()) {
            return out;
        }
        if (!decoder.isObject()) {
            throw EvomergeException.usage(file + ": key 'added_tokens_decoder' must be an object of id -> token.");
        }
        for (var e : decoder.properties()) {
            int id;
            try {
                id = Integer.parseInt(e.getKey());
            } catch (NumberFormatException ex) {
                throw EvomergeException.usage(file + ": added_tokens_decoder key '" + e.getKey()
                        + "' is not a token id.", ex);
            }
            JsonNode t = e.getValue();
            if (!t.path("content").isTextual()) {
                throw EvomergeException.usage(file + ": added_tokens_decoder entry " + id
                        + " has no string 'content'.");
            }
            out.put(id, new AddedToken(id, t.get("content").asText(), t.path("special").asBoolean(false)));
        }
        return out;
    }

    private static Map<String, String> chatTemplates(JsonNode cfg, Path file) {
        return parseChatTemplates(cfg.get("chat_template"), file, "chat_template");
    }

    /**
     * A {@code chat_template} value: a string (named {@code default}) or a list of {@code {"name", "template"}}.
     * Empty for null/absent.
     */
    public static Map<String, String> parseChatTemplates(JsonNode v, Path file, String key) {
        Map<String, String> out = new LinkedHashMap<>();
        if (v == null || v.isNull()) {
            return out;
        }
        if (v.isTextual()) {
            out.put("default", v.asText());
            return out;
        }
        if (v.isArray()) {
            for (JsonNode t : v) {
                if (!t.path("name").isTextual() || !t.path("template").isTextual()) {
                    throw EvomergeException.usage(file + ": each entry of '" + key
                            + "' must have a string 'name' and 'template'.");
                }
                out.put(t.get("name").asText(), t.get("template").asText());
            }
            return out;
        }
        throw EvomergeException.usage(file + ": key '" + key
                + "' must be a template string or a list of {name, template}.");
    }
}
