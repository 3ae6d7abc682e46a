package dev.evomerge.engine.infer;

import dev.evomerge.engine.Sampling;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Sampling frequencies against the probabilities computed by hand. */
class TokenSamplerTest {

    /** Logits ln(5), ln(3), ln(2), ln(0.0001)... : probabilities 0.5, 0.3, 0.2 and ~0. */
    private static LogitRow row() {
        float[] logits = {(float) Math.log(5), (float) Math.log(3), (float) Math.log(2), -20f, -20f};
        return new LogitRow(logits, 0, logits.length);
    }

    private static double[] frequencies(Sampling s, int draws) {
        TokenSampler sampler = new TokenSampler(s);
        double[] f = new double[5];
        for (int i = 0; i < draws; i++) {
            f[sampler.next(row(), 5)] += 1.0 / draws;
        }
        return f;
    }

    @Test
    void temperatureOneFollowsSoftmax() {
        double[] f = frequencies(Sampling.temperature(1.0, 7), 40_000);
        assertThat(f[0]).isCloseTo(0.5, within(0.012));
        assertThat(f[1]).isCloseTo(0.3, within(0.012));
        assertThat(f[2]).isCloseTo(0.2, within(0.012));
    }

    @Test
    void temperatureTwoFlattens() {
        // p ∝ sqrt(5), sqrt(3), sqrt(2) (the two -20 logits stay below 1e-4)
        double z = Math.sqrt(5) + Math.sqrt(3) + Math.sqrt(2);
        double[] f = frequencies(Sampling.temperature(2.0, 8), 40_000);
        assertThat(f[0]).isCloseTo(Math.sqrt(5) / z, within(0.012));
        assertThat(f[2]).isCloseTo(Math.sqrt(2) / z, within(0.012));
    }

    @Test
    void topPKeepsSmallestPrefixReachingP() {
        // 0.5 + 0.3 >= 0.7: tokens 0 and 1 renormalised to 5/8 and 3/8
        double[] f = frequencies(new Sampling.Random(1.0, 0.7, 0, 9), 40_000);
        assertThat(f[0]).isCloseTo(0.625, within(0.012));
        assertThat(f[1]).isCloseTo(0.375, within(0.012));
        assertThat(f[2]).isZero();
    }

    @Test
    void topKKeepsKMostLikely() {
        double[] f = frequencies(new Sampling.Random(1.0, 1.0, 2, 10), 40_000);
        assertThat(f[0]).isCloseTo(0.625, within(0.012));
        assertThat(f[2]).isZero();
        assertThat(new TokenSampler(Sampling.greedy()).next(row(), 5)).isZero();
    }

    @Test
    void topListsBestFirstWithExactLogprobs() {
        var top = row().top(2);
        assertThat(top).hasSize(2);
        assertThat(top.get(0).token()).isZero();
        assertThat(top.get(1).token()).isEqualTo(1);
        double z = 10 + 2 * Math.exp(-20);
        assertThat(top.get(0).logprob()).isCloseTo(Math.log(5 / z), within(1e-6));
        assertThat(top.get(1).logprob()).isCloseTo(Math.log(3 / z), within(1e-6));
    }
}
