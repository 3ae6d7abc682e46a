package dev.evomerge.engine.tokenizer;

import dev.evomerge.core.testing.GoldenModels;
import dev.evomerge.core.EvomergeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TokenizerTest {

    private static Path golden;
    private static Tokenizer tok;

    @BeforeAll
    static void load() {
        golden = GoldenModels.model("llama-pico-base");
        tok = Tokenizer.load(golden);
    }

    @AfterAll
    static void close() {
        if (tok != null) {
            tok.close();
        }
    }

    /** The ids the vocabulary gives these token strings: the expected tokenization written out by hand. */
    private static int[] ids(String... tokens) {
        return Arrays.stream(tokens).mapToInt(t -> tok.tokenToId(t).orElseThrow()).toArray();
    }

    @Test
    void encodesByteLevelBpeWithBosFromTheConfig() {
        // "Hello world": no merge covers "He"/"ll" in this tiny vocabulary, " wor" is one merged token.
        assertThat(tok.encode("Hello world", true)).containsExactly(ids("<s>", "H", "e", "l", "l", "o", "Ġwor", "l", "d"));
        assertThat(tok.encode("Hello world", false)).containsExactly(ids("H", "e", "l", "l", "o", "Ġwor", "l", "d"));
        assertThat(tok.addsBosToken()).isTrue();
        assertThat(tok.bosId()).hasValue(1);
        assertThat(tok.eosId()).hasValue(2);
        assertThat(tok.eosIds()).containsExactly(2);
        assertThat(tok.padId()).isEmpty();
        assertThat(tok.unkId()).hasValue(0);
        assertThat(tok.vocabSize()).isEqualTo(256);
        assertThat(tok.idToToken(1)).isEqualTo("<s>");
        assertThat(tok.isSpecial(2)).isTrue();
        assertThat(tok.isSpecial(70)).isFalse();
    }

    @Test
    void offsetsCountCodePointsLikePython() {
        // the emoji is two UTF-16 chars but one code point; "!" is the 14th code point (index 13)
        Encoding e = tok.encodeWithOffsets("héllo 😀 wörld!", true);
        assertThat(e.tokens()[0]).isEqualTo("<s>");
        assertThat(e.starts()[0]).isZero();
        assertThat(e.ends()[0]).isZero();
        int last = e.size() - 1;
        assertThat(e.tokens()[last]).isEqualTo("!");
        assertThat(e.starts()[last]).isEqualTo(13);
        assertThat(e.ends()[last]).isEqualTo(14);
        // "Ġwor" spans " wor" = code points 5..9 of "Hello world"
        Encoding h = tok.encodeWithOffsets("Hello world", false);
        assertThat(h.tokens()[5]).isEqualTo("Ġwor");
        assertThat(h.starts()[5]).isEqualTo(5);
        assertThat(h.ends()[5]).isEqualTo(9);
    }

    @Test
    void decodesWithAndWithoutSpecialTokens() {
        int[] ids = tok.encode("a<s>b</s> c", true);
        assertThat(ids).containsExactly(ids("<s>", "a", "<s>", "b", "</s>", "Ġc"));
        assertThat(tok.decode(ids)).isEqualTo("<s>a<s>b</s> c");
        assertThat(tok.decode(ids, true)).isEqualTo("ab c");
    }

    @Test
    void piecesConcatenateToTheDecodedText() {
        int[] ids = tok.encode("The cat sat on the mat.", true);
        String[] pieces = tok.pieces(ids);
        assertThat(String.join("", pieces)).isEqualTo(tok.decode(ids));
        assertThat(pieces[0]).isEqualTo("<s>");
        assertThat(tok.piece(ids, 1, tok.tokenToId("Ġwor").orElseThrow())).isEqualTo(" wor");
    }

    /** A SentencePiece-style (Metaspace) tokenizer: the decoder drops the first token's leading space only. */
    @Test
    void piecesOfMetaspaceTokensKeepTheirSpaces(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), """
                {"version": "1.0", "truncation": null, "padding": null,
                 "added_tokens": [{"id": 0, "content": "<unk>", "single_word": false, "lstrip": false,
                                   "rstrip": false, "normalized": false, "special": true}],
                 "normalizer": null,
                 "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always",
                                   "split": true},
                 "post_processor": null,
                 "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always",
                             "split": true},
                 "model": {"type": "WordLevel", "vocab": {"<unk>": 0, "\u2581hello": 1, "\u2581world": 2},
                           "unk_token": "<unk>"}}
                """);
        try (Tokenizer t = Tokenizer.load(dir)) {
            String text = "hello world ".repeat(6).strip();
            int[] ids = t.encode(text, true);
            assertThat(ids).containsExactly(1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2);
            String[] pieces = t.pieces(ids);
            assertThat(pieces[0]).isEqualTo("hello");
            assertThat(pieces[11]).isEqualTo(" world");
            assertThat(String.join("", pieces)).isEqualTo(text).isEqualTo(t.decode(ids));
            assertThat(t.bosId()).isEmpty();
            assertThat(t.addsBosToken()).isFalse();
        }
    }

    /** The bytes of ids, concatenated. */
    private static byte[] bytesOf(Tokenizer t, int[] ids) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int id : ids) {
            out.writeBytes(t.tokenBytes(id));
        }
        return out.toByteArray();
    }

    @Test
    void tokenBytesOfAByteLevelVocabularyAddUpToTheText() {
        String text = "Hello {\"the\": [1, 2]}\n\ttabs";
        int[] ids = tok.encode(text, false);
        assertThat(ids.length).isLessThan(text.length()); // merged tokens such as "Ġthe" are in there
        assertThat(bytesOf(tok, ids)).isEqualTo(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(tok.tokenBytes(tok.tokenToId("\u0120the").orElseThrow())).isEqualTo(" the".getBytes());
        assertThat(tok.tokenBytes(1)).isEmpty(); // <s> is special: decoding skips it
        assertThat(tok.tokenBytes(100_000)).isNull();
    }

    @Test
    void tokenBytesOfAByteFallbackVocabularyShowThePartialCharacters(@TempDir Path dir) throws IOException {
        // a Llama-2-style SentencePiece BPE: characters outside the vocabulary fall back to <0xXX> byte tokens
        StringBuilder vocab = new StringBuilder("\"<unk>\": 0, \"<s>\": 1, \"</s>\": 2");
        for (int b = 0; b < 256; b++) {
            vocab.append(String.format(", \"<0x%02X>\": %d", b, 3 + b));
        }
        vocab.append(", \"\u2581\": 259, \"{\": 260, \"}\": 261, \"k\": 262, \"\\\"\": 263, \":\": 264");
        Files.writeString(dir.resolve("tokenizer.json"), """
                {"version": "1.0", "truncation": null, "padding": null,
                 "added_tokens": [
                   {"id": 0, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false,
                    "normalized": false, "special": true},
                   {"id": 1, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false,
                    "normalized": false, "special": true},
                   {"id": 2, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false,
                    "normalized": false, "special": true}],
                 "normalizer": {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"},
                 "pre_tokenizer": null, "post_processor": null,
                 "decoder": {"type": "Sequence", "decoders": [
                   {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
                   {"type": "ByteFallback"}, {"type": "Fuse"}]},
                 "model": {"type": "BPE", "dropout": null, "unk_token": "<unk>", "continuing_subword_prefix": null,
                           "end_of_word_suffix": null, "fuse_unk": true, "byte_fallback": true,
                           "vocab": {VOCAB}, "merges": []}}
                """.replace("VOCAB", vocab));
        try (Tokenizer t = Tokenizer.load(dir)) {
            String text = "{\"k\": \"\u4e2d\"}";
            int[] ids = t.encode(text, false);
            // 中 (E4 B8 AD) is not in the vocabulary: three byte tokens
            assertThat(ids).contains(3 + 0xE4, 3 + 0xB8, 3 + 0xAD);
            assertThat(t.decode(ids, true)).isEqualTo(text);
            assertThat(t.decode(new int[] {3 + 0xE4}, true)).isEqualTo("\uFFFD");
            assertThat(t.tokenBytes(3 + 0xE4)).containsExactly((byte) 0xE4);
            assertThat(t.tokenBytes(259)).containsExactly((byte) ' ');
            assertThat(bytesOf(t, ids)).isEqualTo(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    @Test
    void doesNotTruncateLongTexts() {
        String text = "word ".repeat(3000);
        int[] ids = tok.encode(text, false);
        assertThat(ids.length).isGreaterThan(3000);
        assertThat(tok.decode(ids)).isEqualTo(text);
    }

    @Test
    void flagsOverrideThePostProcessor(@TempDir Path dir) throws IOException {
        Files.copy(golden.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"add_bos_token": false, "add_eos_token": true,
                 "bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false},
                 "eos_token": "</s>", "pad_token": "<unk>", "clean_up_tokenization_spaces": true}
                """);
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [0, 2]}");
        try (Tokenizer t = Tokenizer.load(dir)) {
            assertThat(t.encode("ab", true)).containsExactly(ids("a", "b", "</s>"));
            assertThat(t.encode("ab", false)).containsExactly(ids("a", "b"));
            assertThat(t.addsBosToken()).isFalse();
            assertThat(t.bosId()).hasValue(1);
            assertThat(t.padId()).hasValue(0);
            assertThat(t.eosIds()).containsExactly(0, 2);
            Encoding e = t.encodeWithOffsets("ab", true);
            assertThat(e.tokens()).containsExactly("a", "b", "</s>");
            // clean_up_tokenization_spaces: " ." and " ," lose their space when decoding
            assertThat(t.decode(t.encode("a . b , c", false))).isEqualTo("a. b, c");
        }
    }

    @Test
    void specialTokensMapIsTheFallback(@TempDir Path dir) throws IOException {
        Files.copy(golden.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("special_tokens_map.json"), "{\"bos_token\": \"<s>\", \"eos_token\": {\"content\": \"</s>\"}}");
        Files.writeString(dir.resolve("config.json"), "{\"eos_token_id\": 2, \"bos_token_id\": 1}");
        try (Tokenizer t = Tokenizer.load(dir)) {
            assertThat(t.bosToken()).hasValue("<s>");
            assertThat(t.eosIds()).containsExactly(2);
            // no add_bos_token flag: tokenizer.json's TemplateProcessing adds BOS
            assertThat(t.encode("a", true)).containsExactly(1, tok.tokenToId("a").orElseThrow());
        }
    }

    @Test
    void badFilesAreUsageErrorsNamingTheFileAndKey(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> Tokenizer.load(dir))
                .isInstanceOf(EvomergeException.class).hasMessageContaining("tokenizer.json does not exist");
        Files.copy(golden.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"<|nope|>\"}");
        assertThatThrownBy(() -> Tokenizer.load(dir))
                .isInstanceOf(EvomergeException.class).hasMessageContaining("eos_token '<|nope|>'");
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"add_bos_token\": \"yes\"}");
        assertThatThrownBy(() -> Tokenizer.load(dir))
                .isInstanceOf(EvomergeException.class).hasMessageContaining("tokenizer_config.json")
                .hasMessageContaining("add_bos_token");
        Files.writeString(dir.resolve("tokenizer_config.json"), "{");
        assertThatThrownBy(() -> Tokenizer.load(dir))
                .isInstanceOf(EvomergeException.class).hasMessageContaining("not valid JSON")
                .hasMessageNotContaining("Source").hasMessageNotContaining("REDACTED");
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"add_bos_token\": true}\n}");
        assertThatThrownBy(() -> Tokenizer.load(dir)).isInstanceOf(EvomergeException.class)
                .hasMessage(dir.resolve("tokenizer_config.json") + " is not valid JSON: line 2, column 1: there is more"
                        + " text after the end of the JSON value.");
        Files.writeString(dir.resolve("tokenizer_config.json"), "{}");
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": \"2\"}");
        assertThatThrownBy(() -> Tokenizer.load(dir))
                .isInstanceOf(EvomergeException.class).hasMessageContaining("generation_config.json")
                .hasMessageContaining("eos_token_id");
    }

    @Test
    void concurrentUseGivesTheSequentialResults() throws Exception {
        List<String> texts = List.of("Hello world", "The cat sat on the mat.", "héllo 😀 wörld!", "a<s>b</s> c",
                "12345 67890", "numbers 1 2 3");
        List<int[]> expected = texts.stream().map(t -> tok.encode(t, true)).toList();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> futures = new ArrayList<>();
            for (int thread = 0; thread < 4; thread++) {
                futures.add(pool.submit(() -> {
                    for (int round = 0; round < 200; round++) {
                        for (int i = 0; i < texts.size(); i++) {
                            int[] ids = tok.encode(texts.get(i), true);
                            if (!Arrays.equals(ids, expected.get(i))
                                    || !tok.decode(ids).equals(tok.decode(expected.get(i)))) {
                                return false;
                            }
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> f : futures) {
                assertThat(f.get()).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
