package dev.evomerge.eval;

import dev.evomerge.core.synth.ModelSynthesizer;
import dev.evomerge.core.synth.SynthModelSpec;
import dev.evomerge.engine.CausalLanguageModel;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.load.ModelLoader;
import dev.evomerge.engine.SequenceLogprobs;
import dev.evomerge.engine.tokenizer.Tokenizer;
import dev.evomerge.eval.data.DatasetLoader;
import dev.evomerge.eval.model.LanguageModel;
import dev.evomerge.eval.model.LanguageModels;
import dev.evomerge.eval.model.LoglikelihoodAnswer;
import dev.evomerge.eval.model.LoglikelihoodQuery;
import dev.evomerge.eval.model.Progress;
import dev.evomerge.eval.task.TaskCatalog;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The embedded backend on a real (tiny, seeded) synthetic model. */
class EmbeddedModelTest {

    @TempDir
    static Path dir;
    static Path modelDir;

    @BeforeAll
    static void synth() {
        modelDir = dir.resolve("model");
        ModelSynthesizer.write(SynthModelSpec.defaults().withLayers(2).withSeed(7), modelDir);
    }

    @Test
    void sharedContextScoresEqualAFullForwardPerChoice() {
        Tokenizer tok = Tokenizer.load(modelDir);
        try (LanguageModel lm = LanguageModels.embedded(modelDir, LoadOptions.defaults().withThreads(1), true, 16);
             CausalLanguageModel ref = ModelLoader.load(modelDir, LoadOptions.defaults().withThreads(1))) {
            String ctx = "Question: which animal barks?\nAnswer:";
            List<String> choices = List.of(" a dog", " a cat", " the river", " seven");
            List<LoglikelihoodAnswer> got = lm.loglikelihood(
                    choices.stream().map(c -> new LoglikelihoodQuery(ctx, c)).toList(), Progress.NONE);
            int[] ctxIds = tok.encode(ctx, true);
            for (int i = 0; i < choices.size(); i++) {
                // independent reference: per-token logprobs of the whole sequence, summed over the continuation
                int[] whole = tok.encode(ctx + choices.get(i), true);
                SequenceLogprobs s = ref.tokenLogprobs(List.of(whole), 0).getFirst();
                double expected = Arrays.stream(s.tokenLogprobs(), ctxIds.length, whole.length).sum();
                assertThat(got.get(i).logprob()).isCloseTo(expected, within(1e-4));
                assertThat(got.get(i).logprob()).isNegative();
            }
        }
    }

    @Test
    void rollingScoresBosAndDocumentInDisjointWindowsAsLmEval() {
        Tokenizer tok = Tokenizer.load(modelDir);
        String doc = "The quick brown fox jumps over the lazy dog, and then the dog sleeps under a tree by the river "
                + "while seven birds sing about the weather and the long winter.";
        int window = 12;
        int[] seq = tok.encode(doc, true);
        assertThat(seq[0]).isEqualTo(tok.bosId().getAsInt());
        assertThat(seq.length).isGreaterThan(3 * window);
        try (LanguageModel lm = LanguageModels.embedded(modelDir, LoadOptions.defaults().withThreads(1), true, 16,
                Optional.of(window));
             LanguageModel plain = LanguageModels.embedded(modelDir, LoadOptions.defaults().withThreads(1), false,
                     16, Optional.of(window));
             CausalLanguageModel ref = ModelLoader.load(modelDir, LoadOptions.defaults().withThreads(1))) {
            // independent reference: token j of [BOS] + document, in block j / window, is predicted from the
            // tokens since the start of its block's input: [prefix] + seq for the first block, else the window
            // tokens before the block's last token
            double withBos = blockwise(ref, seq, tok.bosId().getAsInt(), window);
            double withoutBos = blockwise(ref, tok.encode(doc, false), tok.bosId().getAsInt(), window);
            assertThat(lm.loglikelihoodRolling(List.of(doc), Progress.NONE).getFirst())
                    .isCloseTo(withBos, within(1e-3));
            assertThat(plain.loglikelihoodRolling(List.of(doc), Progress.NONE).getFirst())
                    .isCloseTo(withoutBos, within(1e-3));
            assertThat(Math.abs(withBos - withoutBos)).isGreaterThan(0.1);
        }
    }

    /** Sum of log P(seq[j]) with each block of {@code window} predicted tokens read through its own forward pass. */
    private static double blockwise(CausalLanguageModel ref, int[] seq, int prefix, int window) {
        double total = 0;
        for (int start = 0; start < seq.length; start += window) {
            int end = Math.min(seq.length, start + window);
            int[] input;
            int scoredFrom;
            if (start == 0) {
                input = new int[end + 1];
                input[0] = prefix;
                System.arraycopy(seq, 0, input, 1, end);
                scoredFrom = 1;
            } else {
                // the window holds `window` input tokens ending just before seq[end - 1]: seq[end-window-1, end)
                int from = end - window - 1;
                input = Arrays.copyOfRange(seq, from, end);
                scoredFrom = start - from;
            }
            double[] lp = ref.tokenLogprobs(List.of(input), 0).getFirst().tokenLogprobs();
            total += Arrays.stream(lp, scoredFrom, input.length).sum();
        }
        return total;
    }

    @Test
    void bundledTasksRunOnTheEngine() {
        TaskCatalog catalog = TaskCatalog.load(List.of(), w -> { });
        try (LanguageModel lm = LanguageModels.embedded(modelDir, LoadOptions.defaults().withThreads(1), true, 16)) {
            EvaluationResults r = new Evaluator(new DatasetLoader(Optional.empty()), EvaluationListener.QUIET)
                    .evaluate(catalog.select(List.of("toy_arc", "toy_wikitext", "toy_gsm8k")), lm,
                            EvaluationOptions.defaults().withLimit(2).withBootstrapIters(100));
            double acc = r.value("toy_arc", "acc,none");
            assertThat(acc).isIn(0.0, 0.5, 1.0);
            // a random 512-token model: byte perplexity is far above 1 and bits per byte positive
            assertThat(r.value("toy_wikitext", "byte_perplexity,none")).isGreaterThan(1.5);
            assertThat(r.value("toy_wikitext", "bits_per_byte,none"))
                    .isCloseTo(Math.log(r.value("toy_wikitext", "byte_perplexity,none")) / Math.log(2), within(1e-9));
            assertThat(r.value("toy_gsm8k", "exact_match,strict-match")).isBetween(0.0, 1.0);
        }
    }
}
