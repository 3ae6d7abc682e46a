package dev.evomerge.eval.model;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.engine.LoglikelihoodRequest;
import dev.evomerge.engine.LoglikelihoodResult;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TokenizedLanguageModelTest {

    /**
     * A word-piece tokenizer for tests: a word with its leading space is one token (" cat"), other text one token per
     * character, BOS = 1 prepended when special tokens are added, EOS = 2.
     */
    static final class ToyTokenizer implements TextTokenizer {
        final Map<String, Integer> ids = new HashMap<>();
        final List<String> pieces = new ArrayList<>(List.of("<pad>", "<s>", "</s>"));

        @Override
        public int[] encode(String text, boolean addSpecialTokens) {
            List<Integer> out = new ArrayList<>();
            if (addSpecialTokens) {
                out.add(1);
            }
            int i = 0;
            while (i < text.length()) {
                int j = i;
                if (text.charAt(j) == ' ') {
                    j++;
                }
                while (j < text.length() && Character.isLetter(text.charAt(j))) {
                    j++;
                }
                if (j == i) {
                    j = i + 1;
                }
                out.add(id(text.substring(i, j)));
                i = j;
            }
            return out.stream().mapToInt(Integer::intValue).toArray();
        }

        int id(String piece) {
            return ids.computeIfAbsent(piece, p -> {
                pieces.add(p);
                return pieces.size() - 1;
            });
        }

        @Override
        public String decode(int[] tokens) {
            StringBuilder sb = new StringBuilder();
            for (int t : tokens) {
                if (t > 2) {
                    sb.append(pieces.get(t));
                }
            }
            return sb.toString();
        }

        @Override
        public OptionalInt bosTokenId() {
            return OptionalInt.of(1);
        }

        @Override
        public Optional<String> bosToken() {
            return Optional.of("<s>");
        }

        @Override
        public List<Integer> eosTokenIds() {
            return List.of(2);
        }
    }

    /** Records calls; logprob = -(sum of continuation ids), greedy when the continuation is one token. */
    static class RecordingScorer implements TokenScorer {
        final List<List<LoglikelihoodRequest>> calls = new ArrayList<>();
        final List<TokenGeneration> generations = new ArrayList<>();
        int contextLength = 64;
        String generated = "";

        @Override
        public int maxLength() {
            return contextLength;
        }

        @Override
        public List<LoglikelihoodResult> loglikelihood(List<LoglikelihoodRequest> requests) {
            calls.add(List.copyOf(requests));
            return requests.stream().map(r -> new LoglikelihoodResult(-Arrays.stream(r.continuation()).sum(),
                    r.continuation().length == 1)).toList();
        }

        @Override
        public List<String> generate(List<TokenGeneration> requests) {
            generations.addAll(requests);
            return requests.stream().map(r -> generated).toList();
        }

        @Override
        public Map<String, Object> describe() {
            return Map.of("model", "recording");
        }
    }

    private final ToyTokenizer tok = new ToyTokenizer();
    private final RecordingScorer scorer = new RecordingScorer();

    private TokenizedLanguageModel model(int batch) {
        return new TokenizedLanguageModel("toy", tok, scorer, true, batch, Optional.empty());
    }

    @Test
    void trailingContextSpaceMovesToTheContinuationAndContextsAreEncodedAlone() {
        LoglikelihoodRequest r = model(8).encode(new LoglikelihoodQuery("Answer: ", "cat"));
        // context "Answer:" -> [BOS, "Answer", ":"]; whole "Answer: cat" -> [BOS, "Answer", ":", " cat"]
        assertThat(r.context()).containsExactly(1, tok.id("Answer"), tok.id(":"));
        assertThat(r.continuation()).containsExactly(tok.id(" cat"));
        LoglikelihoodRequest empty = model(8).encode(new LoglikelihoodQuery("", " dog"));
        assertThat(empty.context()).containsExactly(1);
        assertThat(empty.continuation()).containsExactly(tok.id(" dog"));
    }

    @Test
    void choicesOfOneQuestionShareOneContextInOneBatchAndDuplicatesAreScoredOnce() {
        List<LoglikelihoodQuery> queries = List.of(
                new LoglikelihoodQuery("Q one", " a"), new LoglikelihoodQuery("Q one", " bb"),
                new LoglikelihoodQuery("Q one", " ccc"), new LoglikelihoodQuery("Q one", " dddd"),
                new LoglikelihoodQuery("Q two", " a"), new LoglikelihoodQuery("Q one", " a"));
        int[] progress = new int[1];
        List<LoglikelihoodAnswer> answers = model(3).loglikelihood(queries, n -> progress[0] += n);
        assertThat(progress[0]).isEqualTo(6);
        // batch size 3 is exceeded to keep the 4 choices of "Q one" together; "Q two" goes in the next batch
        assertThat(scorer.calls).hasSize(2);
        assertThat(scorer.calls.getFirst()).hasSize(4)
                .allSatisfy(r -> assertThat(r.context()).isEqualTo(scorer.calls.getFirst().getFirst().context()));
        assertThat(scorer.calls.get(1)).hasSize(1);
        assertThat(answers.get(5)).isEqualTo(answers.getFirst());
        assertThat(answers.getFirst().logprob()).isEqualTo(-tok.id(" a"));
        assertThat(answers.getFirst().greedy()).isTrue();
    }

    @Test
    void rollingSumsTheLmEvalWindowsOfADocument() {
        scorer.contextLength = 2;
        List<Double> ll = model(8).loglikelihoodRolling(List.of("abcde"), Progress.NONE);
        int sum = 0;
        for (int id : tok.encode("abcde", false)) {
            sum += id;
        }
        // lm-eval 0.4.13 encodes the document with the special tokens: BOS (id 1) is scored too, after the prefix
        assertThat(ll).containsExactly((double) -(sum + 1));
        assertThat(scorer.calls.getFirst()).contains(new LoglikelihoodRequest(new int[] {1},
                new int[] {1, tok.id("abcde")}));
        // --add-bos-token false: the document alone, as lm-eval with add_bos_token=False
        TokenizedLanguageModel plain = new TokenizedLanguageModel("toy", tok, scorer, false, 8, Optional.empty());
        assertThat(plain.loglikelihoodRolling(List.of("abcde"), Progress.NONE)).containsExactly((double) -sum);
    }

    @Test
    void generationTruncatesThePromptAndCutsAtStopStrings() {
        scorer.contextLength = 10;
        scorer.generated = " forty two\nQuestion: next";
        List<String> out = model(4).generate(List.of(
                GenerationQuery.greedy("a b c d e f g h i j k", List.of("\n", "Question:"), 4),
                GenerationQuery.greedy("a b c d e f g h i j k", List.of("\n", "Question:"), 4)), Progress.NONE);
        assertThat(out).containsExactly(" forty two", " forty two");
        // identical greedy requests run once; the prompt keeps its last 10 - 4 tokens
        assertThat(scorer.generations).hasSize(1);
        assertThat(scorer.generations.getFirst().prompt()).hasSize(6);
        assertThatThrownBy(() -> model(1).generate(List.of(GenerationQuery.greedy("x", List.of(), 10)), Progress.NONE))
                .isInstanceOf(EvomergeException.class).hasMessageContaining("leaves no room");
    }

    @Test
    void everyRequestReachesTheBackendFittedToTheWindow() {
        ContextWindow w = new ContextWindow(4);
        // lm-eval hf: (context + continuation)[-(max_length + 1):], the last token only predicted
        assertThat(w.fit(new LoglikelihoodRequest(new int[] {1, 2, 3, 4}, new int[] {5, 6})))
                .isEqualTo(new LoglikelihoodRequest(new int[] {2, 3, 4}, new int[] {5, 6}));
        assertThat(w.fit(new LoglikelihoodRequest(new int[] {9}, new int[] {5, 6, 7, 8})))
                .isEqualTo(new LoglikelihoodRequest(new int[] {9}, new int[] {5, 6, 7, 8}));
        assertThatThrownBy(() -> w.fit(new LoglikelihoodRequest(new int[] {9}, new int[] {1, 2, 3, 4, 5})))
                .isInstanceOf(EvomergeException.class)
                .hasMessage("a continuation of 5 tokens does not fit a window of 4 tokens (--max-length); raise "
                        + "--max-length or shorten the task's targets");
        assertThat(w.generationPrompt(new int[] {1, 2, 3, 4, 5}, 2, "m")).containsExactly(4, 5);
        assertThatThrownBy(() -> new ContextWindow(0)).hasMessage("--max-length must be at least 1, got 0");

        // the backend could take 64 tokens, the window is 3: [BOS, a, " b", " c"] + [" d"] loses its BOS
        TokenizedLanguageModel m = new TokenizedLanguageModel("toy", tok, scorer, true, 8, Optional.empty(),
                new ContextWindow(3));
        m.loglikelihood(List.of(new LoglikelihoodQuery("a b c", " d"), new LoglikelihoodQuery("x", " d")),
                Progress.NONE);
        assertThat(scorer.calls.getFirst()).containsExactlyInAnyOrder(
                new LoglikelihoodRequest(new int[] {tok.id("a"), tok.id(" b"), tok.id(" c")}, new int[] {tok.id(" d")}),
                new LoglikelihoodRequest(new int[] {1, tok.id("x")}, new int[] {tok.id(" d")}));
        m.loglikelihoodRolling(List.of("a b c d e"), Progress.NONE);
        assertThat(scorer.calls.get(1)).allSatisfy(r -> assertThat(r.context().length + r.continuation().length)
                .isLessThanOrEqualTo(4));
        assertThat(m.describe().get("model_args")).isEqualTo("max_length=3");
        assertThatThrownBy(() -> new TokenizedLanguageModel("toy", tok, scorer, true, 8, Optional.empty(),
                new ContextWindow(65))).hasMessage("--max-length 65 is more than model toy can score in one window "
                + "(64 tokens)");
    }

    @Test
    void nanFromTheBackendIsAnError() {
        TokenScorer nan = new RecordingScorer() {
            @Override
            public List<LoglikelihoodResult> loglikelihood(List<LoglikelihoodRequest> requests) {
                return requests.stream().map(r -> new LoglikelihoodResult(Double.NaN, false)).toList();
            }
        };
        TokenizedLanguageModel m = new TokenizedLanguageModel("broken", tok, nan, true, 4, Optional.empty());
        assertThatThrownBy(() -> m.loglikelihood(List.of(new LoglikelihoodQuery("Q", " a")), Progress.NONE))
                .isInstanceOf(EvomergeException.class).hasMessageContaining("model broken returned a log-probability of NaN");
    }
}
