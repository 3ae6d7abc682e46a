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
}
