package dev.evomerge.core.synth;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class SeededRandomTest {

    @Test
    void outputsAreSplitMix64() {
        // reference values of SplitMix64 (Steele, Lea, Flood 2014; Vigna's splitmix64.c) for seeds 0 and 42
        SeededRandom r0 = new SeededRandom(0);
        assertThat(r0.nextLong()).isEqualTo(0xE220A8397B1DCDAFL);
        assertThat(r0.nextLong()).isEqualTo(0x6E789E6AA1B965F4L);
        assertThat(r0.nextLong()).isEqualTo(0x06C45D188009454FL);
        SeededRandom r42 = new SeededRandom(42);
        assertThat(r42.nextLong()).isEqualTo(0xBDD732262FEB6E95L);
        assertThat(r42.nextLong()).isEqualTo(0x28EFE333B266F103L);
    }

    @Test
    void doublesUseTheTop53Bits() {
        SeededRandom r = new SeededRandom(0);
        assertThat(r.nextDouble()).isEqualTo((0xE220A8397B1DCDAFL >>> 11) * 0x1.0p-53);
    }

    @Test
    void gaussiansHaveMeanZeroAndUnitVarianceAndNormalTails() {
        SeededRandom r = new SeededRandom(123);
        int n = 200_000;
        double sum = 0;
        double sumSq = 0;
        int beyond2 = 0;
        for (int i = 0; i < n; i++) {
            double g = r.nextGaussian();
            sum += g;
            sumSq += g * g;
            if (Math.abs(g) > 2) {
                beyond2++;
            }
        }
        // standard errors: mean 0.0022, variance 0.0032, tail fraction 0.0005
        assertThat(sum / n).isCloseTo(0.0, within(0.01));
        assertThat(sumSq / n).isCloseTo(1.0, within(0.015));
        assertThat((double) beyond2 / n).isCloseTo(0.0455, within(0.003));
    }

    @Test
    void nextIntIsUniformAndInRange() {
        SeededRandom r = new SeededRandom(5);
        int[] counts = new int[7];
        for (int i = 0; i < 70_000; i++) {
            counts[r.nextInt(7)]++;
        }
        for (int c : counts) {
            assertThat(c).isBetween(9_600, 10_400);
        }
    }

    @Test
    void namedStreamsAreReproducibleAndDistinct() {
        assertThat(SeededRandom.stream(1, "a").nextLong()).isEqualTo(SeededRandom.stream(1, "a").nextLong());
        assertThat(SeededRandom.stream(1, "a").nextLong()).isNotEqualTo(SeededRandom.stream(1, "b").nextLong());
        assertThat(SeededRandom.stream(1, "a").nextLong()).isNotEqualTo(SeededRandom.stream(2, "a").nextLong());
    }
}
