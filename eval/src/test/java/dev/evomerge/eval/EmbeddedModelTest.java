package dev.evomerge.eval;

import dev.evomerge.core.synth.ModelSynthesizer;
import dev.evomerge.core.synth.SynthModelSpec;
import dev.evomerge.engine.CausalLanguageModel;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.ModelLoader;
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
