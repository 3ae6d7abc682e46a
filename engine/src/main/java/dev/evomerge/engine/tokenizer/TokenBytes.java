package dev.evomerge.engine.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bytes each token adds to decoded text, read from tokenizer.json's decoder, so that text can be checked byte
 * by byte while tokens that end inside a multi-byte character still decode to U+FFFD:
 * <ul>
 *   <li>a {@code ByteLevel} decoder (GPT-2, Llama 3, Qwen2): each character of the token stands for one byte, by
 *       GPT-2's byte-to-unicode table;</li>
 *   <li>a {@code ByteFallback} decoder (Llama 2, Mistral SentencePiece): {@code <0xAB>} is byte 0xAB, other tokens
 *       are their UTF-8 after the decoder's {@code Replace} steps (▁ to a space);</li>
 *   <li>a {@code Metaspace} decoder: ▁ (or its replacement character) becomes a space;</li>
 *   <li>a {@code WordPiece} decoder: {@code ##x} adds x, any other token a space and itself;</li>
 *   <li>otherwise the token's text as UTF-8.</li>
 * </ul>
 * Added tokens add their content; special tokens add nothing (decoding skips them). Context-dependent decoder steps
 * (a leading space stripped at the start, clean-up of spaces before punctuation) are not modelled: they only remove
 * spaces.
 */
final class TokenBytes {

    private enum Scheme { BYTE_LEVEL, BYTE_FALLBACK, WORD_PIECE, TEXT }

    private static final Map<Character, Integer> BYTE_LEVEL = byteLevelTable();

    private final Scheme scheme;
    private final Map<String, String> replacements;
    private final Vocabulary vocab;
    private final byte[][] cache;
    private final boolean[] known;

    private TokenBytes(Scheme scheme, Map<String, String> replacements, Vocabulary vocab) {
        this.scheme = scheme;
        this.replacements = replacements;
        this.vocab = vocab;
        this.cache = new byte[vocab.size()][];
        this.known = new boolean[vocab.size()];
    }

    static TokenBytes of(JsonNode root, Vocabulary vocab) {
        List<JsonNode> steps = new ArrayList<>();
        JsonNode decoder = root.path("decoder");
        if (decoder.path("type").asText().equals("Sequence")) {
            decoder.path("decoders").forEach(steps::add);
        } else if (decoder.isObject()) {
            steps.add(decoder);
        }
        Scheme scheme = Scheme.TEXT;
        Map<String, String> replace = new LinkedHashMap<>();
        for (JsonNode step : steps) {
            switch (step.path("type").asText()) {
                case "ByteLevel" -> scheme = Scheme.BYTE_LEVEL;
                case "ByteFallback" -> scheme = scheme == Scheme.BYTE_LEVEL ? scheme : Scheme.BYTE_FALLBACK;
                case "WordPiece" -> scheme = Scheme.WORD_PIECE;
                case "Replace" -> {
                    if (step.path("pattern").path("String").isTextual()) {
                        replace.put(step.path("pattern").path("String").asText(), step.path("content").asText());
                    }
                }
                case "Metaspace" -> replace.put(step.path("replacement").asText("\u2581"), " ");
                default -> {
                }
            }
        }
        return new TokenBytes(scheme, replace, vocab);
    }

    /** The bytes {@code id} adds to decoded text, or null when that is unknown (an id with no token). */
    byte[] bytes(int id) {
        if (id < 0 || id >= cache.length) {
            return null;
        }
        if (!known[id]) {
            cache[id] = compute(id);
            known[id] = true;
        }
        return cache[id];
    }

    private byte[] compute(int id) {
        String token = vocab.token(id);
        if (token == null) {
            return null;
        }
        if (vocab.isSpecial(id)) {
            return new byte[0];
        }
        for (AddedToken t : vocab.added()) {
            if (t.id() == id) {
                return t.content().getBytes(StandardCharsets.UTF_8);
            }
        }
        return switch (scheme) {
            case BYTE_LEVEL -> {
                byte[] out = new byte[token.length()];
                for (int i = 0; i < token.length(); i++) {
                    Integer b = BYTE_LEVEL.get(token.charAt(i));
                    if (b == null) {
                        yield null; // not a byte-level token
                    }
                    out[i] = (byte) b.intValue();
                }
                yield out;
            }
            case BYTE_FALLBACK -> {
                if (token.length() == 6 && token.startsWith("<0x") && token.endsWith(">")) {
                    yield new byte[] {(byte) Integer.parseInt(token.substring(3, 5), 16)};
                }
                yield replaced(token).getBytes(StandardCharsets.UTF_8);
            }
            case WORD_PIECE -> (token.startsWith("##") ? token.substring(2) : " " + token)
                    .getBytes(StandardCharsets.UTF_8);
            case TEXT -> replaced(token).getBytes(StandardCharsets.UTF_8);
        };
    }

    private String replaced(String token) {
        String s = token;
        for (Map.Entry<String, String> e : replacements.entrySet()) {
            s = s.replace(e.getKey(), e.getValue());
        }
        return s;
    }

    /** GPT-2's bytes_to_unicode, inverted: printable Latin-1 bytes stand for themselves, the rest for 256 + n. */
    private static Map<Character, Integer> byteLevelTable() {
        Map<Character, Integer> table = new HashMap<>();
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE && b <= 0xFF;
            table.put((char) (printable ? b : 256 + n++), b);
        }
        return table;
    }
}
