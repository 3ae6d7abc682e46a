package dev.evomerge.server;

import dev.evomerge.core.testing.GoldenModels;
import dev.evomerge.engine.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/** json_object decoding against a scripted model whose preferences are known, so the outcome is known. */
class JsonObjectDecodingTest {

    private static final int[] PROMPT = {1, 70};
    private static final SamplingParams GREEDY = new SamplingParams(0, 1, 0, OptionalLong.empty());
    private static Tokenizer tok;

    @BeforeAll
    static void load() {
        tok = Tokenizer.load(GoldenModels.model("llama-pico-base"));
    }

    @AfterAll
    static void close() {
        if (tok != null) {
            tok.close();
        }
    }

    /** The single-character token of {@code c} (the golden vocabulary has every printable ASCII character). */
    private static int id(char c) {
        String s = c == ' ' ? "Ġ" : String.valueOf(c);
        return tok.tokenToId(s).orElseThrow();
    }

    /**
     * Logits: 10 for the character that continues {@code target} while the output is a prefix of it, 12 for
     * {@code opener} as the very first token, 11 for EOS once the target is written, 0 for everything else.
     */
    private static Function<int[], double[]> follow(String target, Character opener, boolean eosAfterTarget) {
        return generated -> {
            double[] z = new double[256];
            String text = tok.decode(generated, true);
            if (target.startsWith(text) && text.length() < target.length()) {
                z[id(target.charAt(text.length()))] = 10;
            }
            if (generated.length == 0 && opener != null) {
                z[id(opener)] = 12;
            }
            if (eosAfterTarget && text.equals(target)) {
                z[2] = 11;
            }
            return z;
        };
    }

    private static Completion run(Function<int[], double[]> logits, int maxTokens, List<String> stop) {
        ScriptedModel model = new ScriptedModel(256, PROMPT.length, logits);
        ServedModel served = new ServedModel("scripted", model, tok, Optional.empty());
        JsonObjectDecoding decoding = new JsonObjectDecoding(served, new TextGeneration(served));
        return decoding.generate(PROMPT, maxTokens, GREEDY, stop, 2, 0);
    }

    @Test
    void stopsWhenTheObjectIsComplete() {
        Completion c = run(follow("{\"a\": [1, 2]} and more", null, false), 50, List.of());
        assertThat(c.text()).isEqualTo("{\"a\": [1, 2]}");
        assertThat(c.stopped()).isTrue();
        assertThat(c.generatedTokens()).isEqualTo(13);
        assertThat(String.join("", c.pieces())).isEqualTo("{\"a\": [1, 2]}");
    }

    @Test
    void replacesATokenThatCannotStartAnObjectWithTheBestOneThatCan() {
        // the model wants to open with "S" (Sure...); '{' is its second choice and the only valid one ranked higher
        // than the zero-logit rest
        Completion c = run(follow("{\"a\": 1}", 'S', false), 50, List.of());
        assertThat(c.text()).isEqualTo("{\"a\": 1}");
        assertThat(c.tokens().getFirst().token()).isEqualTo(id('{'));
        // '{' had logit 10 against 12 for 'S' and 254 zeros: its log-probability is 10 - log(e^12 + e^10 + 254)
        double expected = 10 - Math.log(Math.exp(12) + Math.exp(10) + 254);
        assertThat(c.tokens().getFirst().logprob()).isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(c.tokens().getFirst().top()).extracting(t -> t.token()).containsExactly(id('S'), id('{'));
        assertThat(c.stopped()).isTrue();
    }

    @Test
    void anEarlyEosIsReplacedAndTheObjectStillCloses() {
        // after '{"a": 1' the model wants EOS (logit 11); EOS is refused and '}' (logit 1, all else 0) is the best
        // remaining token that keeps the text valid
        Function<int[], double[]> base = follow("{\"a\": 1", null, true);
        Function<int[], double[]> logits = generated -> {
            double[] z = base.apply(generated);
            z[id('}')] = Math.max(z[id('}')], 1);
            return z;
        };
        Completion c = run(logits, 50, List.of());
        assertThat(c.text()).isEqualTo("{\"a\": 1}");
        assertThat(c.stopped()).isTrue();
        assertThat(c.tokens()).noneMatch(t -> t.token() == 2);
    }

    @Test
    void runningOutOfTokensLeavesAnUnfinishedObject() {
        Completion c = run(follow("{\"key\": \"a long value\"}", null, false), 6, List.of());
        assertThat(c.text()).isEqualTo("{\"key\"");
        assertThat(c.stopped()).isFalse();
        assertThat(c.finishReason()).isEqualTo("length");
    }

    /** GPT-2's byte-to-unicode table: the vocabulary string of the one-byte token for each byte. */
    private static String byteLevelChar(int b) {
        int n = 0;
        for (int x = 0; x < 256; x++) {
            boolean printable = x >= '!' && x <= '~' || x >= 0xA1 && x <= 0xAC || x >= 0xAE && x <= 0xFF;
            if (x == b) {
                return String.valueOf((char) (printable ? x : 256 + n));
            }
            if (!printable) {
                n++;
            }
        }
        throw new IllegalArgumentException();
    }

    @Test
    void partialUtf8TokensOfAByteLevelVocabularyOnlyStandInsideStrings(@org.junit.jupiter.api.io.TempDir
                                                                        java.nio.file.Path dir) {
        // a synthetic byte-level BPE has a token for each of the 256 bytes; this model follows the target's bytes
        // (logit 10) but prefers the lead byte E4 of three-byte characters (logit 12) wherever E4 is invalid, and
        // everywhere once off the target (as the random models of the issue did)
        dev.evomerge.core.synth.ModelSynthesizer.write(dev.evomerge.core.synth.SynthModelSpec.defaults()
                .withLayers(1), dir);
        try (Tokenizer synth = Tokenizer.load(dir)) {
            int vocab = synth.vocabSize();
            int[] byteId = new int[256];
            java.util.Map<Character, Integer> charToByte = new java.util.HashMap<>();
            for (int b = 0; b < 256; b++) {
                byteId[b] = synth.tokenToId(byteLevelChar(b)).orElseThrow();
                charToByte.put(byteLevelChar(b).charAt(0), b);
            }
            byte[] target = "{\"k\": \"\u4e2d\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            Function<int[], double[]> logits = generated -> {
                java.io.ByteArrayOutputStream sofar = new java.io.ByteArrayOutputStream();
                for (int id : generated) {
                    for (char ch : synth.idToToken(id).toCharArray()) {
                        sofar.write(charToByte.get(ch));
                    }
                }
                byte[] done = sofar.toByteArray();
                double[] z = new double[vocab];
                if (done.length < target.length
                        && java.util.Arrays.equals(done, 0, done.length, target, 0, done.length)) {
                    z[byteId[target[done.length] & 0xff]] = 10;
                    // where a lone E4 cannot stand: outside strings, and where 中's continuation bytes go
                    if (java.util.Set.of(0, 1, 4, 5, 6, 8, 9, 11).contains(done.length)) {
                        z[byteId[0xE4]] = 12;
                    }
                } else {
                    z[byteId[0xE4]] = 12;
                }
                return z;
            };
            // before: a lone E4 decodes to U+FFFD, which the text check skipped as "unfinished", forever
            assertThat(synth.decode(new int[] {byteId[0xE4]}, true)).isEqualTo("\uFFFD");
            ScriptedModel model = new ScriptedModel(vocab, PROMPT.length, logits);
            ServedModel served = new ServedModel("synth", model, synth, Optional.empty());
            Completion c = new JsonObjectDecoding(served, new TextGeneration(served))
                    .generate(PROMPT, 40, GREEDY, List.of(), 0, 0);
            assertThat(c.text()).isEqualTo("{\"k\": \"\u4e2d\"}");
            assertThat(c.stopped()).isTrue();
            // E4 was taken exactly once: where the target's character starts, inside the string; the text check
            // used to accept a lone E4 (decoded U+FFFD) at the start and then E4 after E4 up to max_tokens
            assertThat(c.tokens()).filteredOn(t -> t.token() == byteId[0xE4]).hasSize(1);
        }
    }
}
