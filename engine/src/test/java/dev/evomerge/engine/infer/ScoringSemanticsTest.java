package dev.evomerge.engine.infer;

import dev.evomerge.core.testing.GoldenModels;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.engine.CausalLanguageModel;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.LoglikelihoodRequest;
import dev.evomerge.engine.load.ModelLoader;
import dev.evomerge.engine.RollingLoglikelihood;
import dev.evomerge.engine.SequenceLogprobs;
import dev.evomerge.engine.TestModels;
import dev.evomerge.engine.TokenScore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** lm-eval semantics at the context limit: left truncation and rolling windows, on a 16-token-context model. */
class ScoringSemanticsTest {

    private static final double EXACT = 1e-5;
    private static final int CONTEXT = 16;

    @TempDir
    static Path tmp;
    private static CausalLanguageModel small;

    @BeforeAll
    static void load() {
        Path dir = TestModels.withConfig(GoldenModels.model("llama-pico-base"), tmp.resolve("ctx16"),
                c -> c.put("max_position_embeddings", CONTEXT));
        small = ModelLoader.load(dir, LoadOptions.defaults().withThreads(2));
    }

    @AfterAll
    static void close() {
        small.close();
    }

    /** log P(targets[j] | input[0..j]) for each j, read from the full next-token distributions of one pass. */
    private static double[] logprobsOf(int[] input, int[] targets) {
        SequenceLogprobs s = small.tokenLogprobs(List.of(input), 256).getFirst();
        double[] out = new double[targets.length];
        int offset = input.length - targets.length;
        for (int j = 0; j < targets.length; j++) {
            int target = targets[j];
            out[j] = s.topAfter().get(offset + j).stream().filter(t -> t.token() == target)
                    .mapToDouble(TokenScore::logprob).findFirst().orElseThrow();
        }
        return out;
    }

    private static double sum(double[] v) {
        return Arrays.stream(v).sum();
    }

    @Test
    void contextIsTruncatedOnTheLeftToContextLengthPlusOne() {
        int[] ids = TestModels.randomIds(new SplittableRandom(31), 34, 256);
        int[] ctx = Arrays.copyOf(ids, 30);
        int[] cont = Arrays.copyOfRange(ids, 30, 34);
        // lm-eval: (ctx + cont)[-(16 + 1):][:-1] is fed: ids[17..33), scoring ids[30..34)
        double want = sum(logprobsOf(Arrays.copyOfRange(ids, 17, 33), cont));
        double got = small.logLikelihood(List.of(new LoglikelihoodRequest(ctx, cont))).getFirst().logprob();
        assertThat(got).isCloseTo(want, within(EXACT));
    }

    @Test
    void rollingFitsInOneWindow() {
        int[] doc = TestModels.randomIds(new SplittableRandom(32), 10, 256);
        int[] input = new int[10];
        input[0] = 1;
        System.arraycopy(doc, 0, input, 1, 9);
        RollingLoglikelihood r = small.loglikelihoodRolling(doc, 1);
        assertThat(r.tokenCount()).isEqualTo(10);
        assertThat(r.logprob()).isCloseTo(sum(logprobsOf(input, doc)), within(EXACT));
    }

    @Test
    void rollingUsesDisjointWindowsOfContextLength() {
        int[] doc = TestModels.randomIds(new SplittableRandom(33), 40, 256);
        // Windows of lm-eval's get_rolling_token_windows(prefix=1, max_seq_len=16, context_len=1), by hand:
        //   doc[0..16) given [1] + doc[0..15);  doc[16..32) given doc[15..31);  doc[32..40) given doc[23..39)
        int[] first = new int[16];
        first[0] = 1;
        System.arraycopy(doc, 0, first, 1, 15);
        double want = sum(logprobsOf(first, Arrays.copyOfRange(doc, 0, 16)))
                + sum(logprobsOf(Arrays.copyOfRange(doc, 15, 31), Arrays.copyOfRange(doc, 16, 32)))
                + sum(logprobsOf(Arrays.copyOfRange(doc, 23, 39), Arrays.copyOfRange(doc, 32, 40)));
        RollingLoglikelihood r = small.loglikelihoodRolling(doc, 1);
        assertThat(r.tokenCount()).isEqualTo(40);
        assertThat(r.logprob()).isCloseTo(want, within(EXACT));
    }

    @Test
    void tooLongInputsAreUsageErrors() {
        assertThatThrownBy(() -> small.tokenLogprobs(List.of(new int[17]), 0))
                .isInstanceOf(EvomergeException.class).hasMessageContaining("context length 16");
        assertThatThrownBy(() -> small.logLikelihood(List.of(new LoglikelihoodRequest(new int[]{1}, new int[17]))))
                .isInstanceOf(EvomergeException.class).hasMessageContaining("continuation");
        assertThatThrownBy(() -> small.tokenLogprobs(List.of(new int[]{1, 256}), 0))
                .isInstanceOf(EvomergeException.class).hasMessageContaining("Token id 256");
    }
}
