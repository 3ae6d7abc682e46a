package dev.evomerge.engine.infer;

import dev.evomerge.core.testing.GoldenModels;
import dev.evomerge.engine.CausalLanguageModel;
import dev.evomerge.engine.FinishReason;
import dev.evomerge.engine.GeneratedToken;
import dev.evomerge.engine.Generation;
import dev.evomerge.engine.GenerationRequest;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.load.ModelLoader;
import dev.evomerge.engine.Sampling;
import dev.evomerge.engine.TestModels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Stop tokens, stop conditions, length and context limits, seeded sampling, streaming. */
class GenerationTest {

    private static final int[] PROMPT = {1, 84, 104, 101, 32};
    @TempDir
    static Path tmp;
    private static CausalLanguageModel model;
    private static CausalLanguageModel small;

    @BeforeAll
    static void load() {
        model = ModelLoader.load(GoldenModels.model("llama-pico-base"), LoadOptions.defaults().withThreads(2));
        small = ModelLoader.load(TestModels.withConfig(GoldenModels.model("qwen2-pico-base"), tmp.resolve("c16"),
                c -> c.put("max_position_embeddings", 16)), LoadOptions.defaults().withThreads(1));
    }

    @AfterAll
    static void close() {
        model.close();
        small.close();
    }

    @Test
    void stopsAtStopTokenIncludingIt() {
        int[] free = model.generate(GenerationRequest.greedy(PROMPT, 12, Set.of())).tokenIds();
        // the first position whose token did not occur earlier, so generation must stop exactly there
        int at = 0;
        while (at < free.length && contains(Arrays.copyOf(free, at), free[at])) {
            at++;
        }
        Generation g = model.generate(GenerationRequest.greedy(PROMPT, 12, Set.of(free[at])));
        assertThat(g.finishReason()).isEqualTo(FinishReason.STOP_TOKEN);
        assertThat(g.tokenIds()).containsExactly(Arrays.copyOf(free, at + 1));
    }

    private static boolean contains(int[] a, int v) {
        return Arrays.stream(a).anyMatch(x -> x == v);
    }

    @Test
    void stopConditionSeesGeneratedTokensAndEndsGeneration() {
        List<Integer> seenLengths = new ArrayList<>();
        Generation g = model.generate(GenerationRequest.greedy(PROMPT, 12, Set.of()).withStop(gen -> {
            seenLengths.add(gen.length);
            return gen.length == 5;
        }));
        assertThat(g.finishReason()).isEqualTo(FinishReason.STOP_CONDITION);
        assertThat(g.tokens()).hasSize(5);
        assertThat(seenLengths).containsExactly(1, 2, 3, 4, 5);
    }

    @Test
    void maxTokensAndContextLimit() {
        Generation g = model.generate(GenerationRequest.greedy(PROMPT, 3, Set.of()));
        assertThat(g.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(g.tokens()).hasSize(3);
        // context 16, prompt 14: positions 14 and 15 can still be fed, so 16 - 14 + 1 = 3 tokens fit
        int[] prompt = new int[14];
        Arrays.fill(prompt, 65);
        Generation full = small.generate(GenerationRequest.greedy(prompt, 50, Set.of()));
        assertThat(full.finishReason()).isEqualTo(FinishReason.CONTEXT_FULL);
        assertThat(full.tokens()).hasSize(3);
    }

    @Test
    void samplingIsSeededAndListenerStreamsEveryToken() {
        List<GeneratedToken> streamed = new ArrayList<>();
        GenerationRequest r = GenerationRequest.greedy(PROMPT, 16, Set.of())
                .withSampling(Sampling.temperature(1.5, 42)).withListener(streamed::add);
        Generation a = model.generate(r);
        Generation b = model.generate(r.withListener(t -> { }));
        assertThat(a.tokenIds()).containsExactly(b.tokenIds());
        assertThat(streamed).isEqualTo(a.tokens());
        Generation greedy = model.generate(GenerationRequest.greedy(PROMPT, 16, Set.of()));
        boolean anyDiffers = false;
        for (long seed = 1; seed <= 4; seed++) {
            int[] other = model.generate(r.withSampling(Sampling.temperature(1.5, seed))
                    .withListener(t -> { })).tokenIds();
            anyDiffers |= !Arrays.equals(other, a.tokenIds());
        }
        assertThat(anyDiffers).isTrue();
        // top-k 1 leaves only the argmax, whatever the temperature
        Generation topK1 = model.generate(r.withSampling(new Sampling.Random(5.0, 1.0, 1, 3)).withListener(t -> { }));
        assertThat(topK1.tokenIds()).containsExactly(greedy.tokenIds());
    }
}
