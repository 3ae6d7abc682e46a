package dev.evomerge.engine.infer;

import dev.evomerge.core.testing.GoldenModels;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.engine.CausalLanguageModel;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.load.ModelLoader;
import dev.evomerge.engine.SequenceLogprobs;
import dev.evomerge.engine.TokenScore;
import dev.evomerge.engine.WeightStorage;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Per-token logprobs and top-3 alternatives against the float64 references in shared/golden. */
class GoldenLogprobsTest {

    private static final double TOLERANCE = 1e-4;

    @ParameterizedTest
    @CsvSource({"llama-pico-base, FLOAT32, 1", "qwen2-pico-base, FLOAT32, 2", "llama-pico-base, BFLOAT16, 2",
            "qwen2-pico-base, FLOAT32, 1"})
    void matchesFloat64Reference(String model, WeightStorage storage, int threads) throws IOException {
        JsonNode golden = new ObjectMapper().readTree(GoldenModels.dir().resolve(model + ".logprobs.json").toFile());
        List<int[]> sequences = new ArrayList<>();
        for (JsonNode r : golden.get("results")) {
            int[] ids = new int[r.get("ids").size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = r.get("ids").get(i).asInt();
            }
            sequences.add(ids);
        }
        try (CausalLanguageModel m = ModelLoader.load(GoldenModels.model(model),
                LoadOptions.defaults().withWeightStorage(storage).withThreads(threads))) {
            List<SequenceLogprobs> got = m.tokenLogprobs(sequences, 3);
            double maxDiff = 0;
            for (int s = 0; s < sequences.size(); s++) {
                JsonNode ref = golden.get("results").get(s);
                SequenceLogprobs g = got.get(s);
                assertThat(g.tokenLogprobs()[0]).isNaN();
                assertThat(ref.get("token_logprobs").get(0).isNull()).isTrue();
                for (int j = 1; j < sequences.get(s).length; j++) {
                    double want = ref.get("token_logprobs").get(j).asDouble();
                    assertThat(g.tokenLogprobs()[j]).as("%s seq %d token %d", model, s, j).isCloseTo(want,
                            within(TOLERANCE));
                    maxDiff = Math.max(maxDiff, Math.abs(g.tokenLogprobs()[j] - want));
                }
                JsonNode top = ref.get("top");
                assertThat(g.topAfter()).hasSize(top.size());
                for (int j = 0; j < top.size(); j++) {
                    List<TokenScore> mine = g.topAfter().get(j);
                    assertThat(mine).hasSize(3);
                    for (int k = 0; k < 3; k++) {
                        JsonNode want = top.get(j).get(k);
                        assertThat(mine.get(k).logprob()).isCloseTo(want.get(1).asDouble(), within(TOLERANCE));
                        // ids must agree unless the reference has a near-tie at this rank
                        boolean nearTie = (k > 0 && Math.abs(want.get(1).asDouble()
                                - top.get(j).get(k - 1).get(1).asDouble()) < 2 * TOLERANCE)
                                || (k < 2 && Math.abs(want.get(1).asDouble()
                                - top.get(j).get(k + 1).get(1).asDouble()) < 2 * TOLERANCE);
                        if (!nearTie) {
                            assertThat(mine.get(k).token()).isEqualTo(want.get(0).asInt());
                        }
                    }
                }
            }
            System.out.printf("%s %s: max |logprob - float64 reference| = %.3g%n", model, storage, maxDiff);
        }
    }
}
