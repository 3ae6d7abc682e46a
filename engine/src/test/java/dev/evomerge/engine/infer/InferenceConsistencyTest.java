package dev.evomerge.engine.infer;

import dev.evomerge.core.testing.GoldenModels;
import dev.evomerge.engine.Generation;
import dev.evomerge.engine.GenerationRequest;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.LoglikelihoodRequest;
import dev.evomerge.engine.LoglikelihoodResult;
import dev.evomerge.engine.load.ModelLoader;
import dev.evomerge.engine.SequenceLogprobs;
import dev.evomerge.engine.TestModels;
import dev.evomerge.engine.TokenScore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The cached, batched and shared-context paths give the same numbers as plain full recomputation. */
class InferenceConsistencyTest {

    private static final double EXACT = 1e-5;
    private static TransformerModel llama;
    private static TransformerModel qwen;

    @BeforeAll
    static void load() {
        llama = (TransformerModel) ModelLoader.load(GoldenModels.model("llama-pico-base"),
                LoadOptions.defaults().withThreads(2));
        qwen = (TransformerModel) ModelLoader.load(GoldenModels.model("qwen2-pico-base"),
                LoadOptions.defaults().withThreads(2));
    }

    @AfterAll
    static void close() {
        llama.close();
        qwen.close();
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void kvCacheDecodingEqualsFullRecomputation() {
        for (TransformerModel m : List.of(llama, qwen)) {
            int[] prompt = {1, 72, 101, 108, 108, 111, 32};
            Generation g = m.generate(GenerationRequest.greedy(prompt, 20, Set.of()).withTopLogprobs(3));
            assertThat(g.tokens()).hasSize(20);
            int[] all = concat(prompt, g.tokenIds());
            SequenceLogprobs full = m.tokenLogprobs(List.of(all), 3).getFirst();
            for (int i = 0; i < g.tokens().size(); i++) {
                int pos = prompt.length + i;
                assertThat(g.tokens().get(i).logprob()).isCloseTo(full.tokenLogprobs()[pos], within(EXACT));
                List<TokenScore> fullTop = full.topAfter().get(pos - 1);
                List<TokenScore> cachedTop = g.tokens().get(i).top();
                for (int k = 0; k < 3; k++) {
                    assertThat(cachedTop.get(k).logprob()).isCloseTo(fullTop.get(k).logprob(), within(EXACT));
                }
                // greedy: the chosen token is the full recomputation's argmax
                assertThat(g.tokens().get(i).token()).isEqualTo(fullTop.getFirst().token());
            }
        }
    }

    @Test
    void batchedEqualsUnbatched() {
        SplittableRandom rnd = new SplittableRandom(21);
        List<int[]> seqs = new ArrayList<>();
        for (int len : new int[]{1, 5, 17, 3, 40, 9}) {
            seqs.add(TestModels.randomIds(rnd, len, 256));
        }
        List<SequenceLogprobs> batched = llama.tokenLogprobs(seqs, 2);
        for (int s = 0; s < seqs.size(); s++) {
            SequenceLogprobs alone = llama.tokenLogprobs(List.of(seqs.get(s)), 2).getFirst();
            for (int j = 1; j < seqs.get(s).length; j++) {
                assertThat(batched.get(s).tokenLogprobs()[j]).isCloseTo(alone.tokenLogprobs()[j], within(EXACT));
            }
            assertThat(batched.get(s).topAfter().getLast().getFirst().logprob())
                    .isCloseTo(alone.topAfter().getLast().getFirst().logprob(), within(EXACT));
        }
        List<GenerationRequest> reqs = new ArrayList<>();
        for (int s = 1; s < 5; s++) {
            reqs.add(GenerationRequest.greedy(seqs.get(s), 6 + s, Set.of()).withTopLogprobs(1));
        }
        List<Generation> together = qwen.generate(reqs);
        for (int s = 0; s < reqs.size(); s++) {
            Generation alone = qwen.generate(reqs.get(s));
            assertThat(together.get(s).tokenIds()).containsExactly(alone.tokenIds());
            for (int i = 0; i < alone.tokens().size(); i++) {
                assertThat(together.get(s).tokens().get(i).logprob())
                        .isCloseTo(alone.tokens().get(i).logprob(), within(EXACT));
            }
        }
    }

    @Test
    void sharedContextScoringEqualsSeparateScoringAndComputesContextOnce() {
        SplittableRandom rnd = new SplittableRandom(22);
        int[] ctx = TestModels.randomIds(rnd, 20, 256);
        int[] other = TestModels.randomIds(rnd, 7, 256);
        List<LoglikelihoodRequest> reqs = List.of(
                new LoglikelihoodRequest(ctx, TestModels.randomIds(rnd, 3, 256)),
                new LoglikelihoodRequest(other, TestModels.randomIds(rnd, 2, 256)),
                new LoglikelihoodRequest(ctx, TestModels.randomIds(rnd, 1, 256)),
                new LoglikelihoodRequest(ctx, TestModels.randomIds(rnd, 3, 256)),
                new LoglikelihoodRequest(ctx, TestModels.randomIds(rnd, 3, 256)));
        long before = qwen.rowsComputed();
        List<LoglikelihoodResult> shared = qwen.logLikelihood(reqs);
        // contexts once (20 + 7 rows), then each continuation minus its last token (2 + 1 + 0 + 2 + 2 rows)
        assertThat(qwen.rowsComputed() - before).isEqualTo(20 + 7 + 2 + 1 + 0 + 2 + 2);
        for (int i = 0; i < reqs.size(); i++) {
            LoglikelihoodRequest r = reqs.get(i);
            LoglikelihoodResult alone = qwen.logLikelihood(List.of(r)).getFirst();
            assertThat(shared.get(i).logprob()).isCloseTo(alone.logprob(), within(EXACT));
            assertThat(shared.get(i).isGreedy()).isEqualTo(alone.isGreedy());
            // and the same as reading the continuation's logprobs off a full-sequence pass
            int[] all = concat(r.context(), r.continuation());
            SequenceLogprobs full = qwen.tokenLogprobs(List.of(all), 1).getFirst();
            double sum = 0;
            boolean greedy = true;
            for (int j = r.context().length; j < all.length; j++) {
                sum += full.tokenLogprobs()[j];
                greedy &= full.topAfter().get(j - 1).getFirst().token() == all[j];
            }
            assertThat(shared.get(i).logprob()).isCloseTo(sum, within(EXACT));
            assertThat(shared.get(i).isGreedy()).isEqualTo(greedy);
        }
    }

    @Test
    void greedyContinuationIsReportedGreedy() {
        int[] ctx = {1, 72, 101, 108};
        Generation g = llama.generate(GenerationRequest.greedy(ctx, 4, Set.of()));
        LoglikelihoodResult r = llama.logLikelihood(List.of(new LoglikelihoodRequest(ctx, g.tokenIds()))).getFirst();
        assertThat(r.isGreedy()).isTrue();
        double sum = g.tokens().stream().mapToDouble(t -> t.logprob()).sum();
        assertThat(r.logprob()).isCloseTo(sum, within(EXACT));
        int[] changed = g.tokenIds();
        changed[2] = (changed[2] + 1) % 256;
        assertThat(llama.logLikelihood(List.of(new LoglikelihoodRequest(ctx, changed))).getFirst().isGreedy())
                .isFalse();
    }
}
