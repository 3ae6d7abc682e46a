package dev.evomerge.merge.method;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class MaskSourceTest {

    private static final MaskSource.MaskKey KEY = new MaskSource.MaskKey("model.layers.3.mlp.up_proj.weight", "m", "dare");

    @Test
    void sameSeedAndKeyGiveTheSameMaskWhateverTheCallOrder() {
        byte[] a = new byte[300_000];
        byte[] b = new byte[300_000];
        MaskSource first = MaskSource.seeded(42);
        first.bernoulli(new MaskSource.MaskKey("other", "m", "dare"), 0.5, new byte[1000]);
        first.bernoulli(KEY, 0.4, a);
        MaskSource.seeded(42).bernoulli(KEY, 0.4, b);
        assertThat(b).isEqualTo(a);
        byte[] c = new byte[300_000];
        MaskSource.seeded(43).bernoulli(KEY, 0.4, c);
        assertThat(c).isNotEqualTo(a);
        long kept = 0;
        for (byte x : a) {
            kept += x;
        }
        // sd = sqrt(0.24/3e5) ≈ 0.0009
        assertThat(kept / 300_000.0).isCloseTo(0.4, within(0.005));
    }

    @Test
    void perElementProbabilitiesAreHonoured() {
        int n = 200_000;
        float[] p = new float[n];
        for (int i = 0; i < n; i++) {
            p[i] = i < n / 2 ? 0.1f : 0.9f;
        }
        byte[] keep = new byte[n];
        MaskSource.seeded(1).bernoulli(KEY, p, keep);
        long low = 0;
        long high = 0;
        for (int i = 0; i < n; i++) {
            if (i < n / 2) {
                low += keep[i];
            } else {
                high += keep[i];
            }
        }
        assertThat(low / (n / 2.0)).isCloseTo(0.1, within(0.006));
        assertThat(high / (n / 2.0)).isCloseTo(0.9, within(0.006));
    }

    @Test
    void edgeProbabilities() {
        byte[] keep = new byte[1000];
        MaskSource.seeded(3).bernoulli(KEY, 1.0, keep);
        for (byte b : keep) {
            assertThat(b).isEqualTo((byte) 1);
        }
        MaskSource.seeded(3).bernoulli(KEY, 0.0, keep);
        for (byte b : keep) {
            assertThat(b).isEqualTo((byte) 0);
        }
    }

    @Test
    void permutationPrefixIsADistinctUniformSample() {
        int[] s = MaskSource.seeded(9).permutationPrefix(KEY, 1000, 500);
        Set<Integer> seen = new HashSet<>();
        long sum = 0;
        for (int i : s) {
            assertThat(i).isBetween(0, 999);
            seen.add(i);
            sum += i;
        }
        assertThat(seen).hasSize(500);
        // mean of a uniform sample without replacement ≈ 499.5 (sd ≈ 9)
        assertThat(sum / 500.0).isCloseTo(499.5, within(45.0));
        assertThat(MaskSource.seeded(9).permutationPrefix(KEY, 1000, 500)).containsExactly(s);
    }

    @Test
    void unseededSourceRefusesToDraw() {
        assertThatThrownBy(() -> MaskSource.unseeded().bernoulli(KEY, 0.5, new byte[3]))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("up_proj");
    }

    @Test
    void bitMasksHoldTheSameDrawsAsByteMasks() {
        MaskSource seeded = MaskSource.seeded(5);
        for (int n : new int[] {1, 63, 64, 65, 70_001, 300_000}) {
            MaskSource.MaskKey key = new MaskSource.MaskKey("t" + n, "m", "dare");
            byte[] bytes = new byte[n];
            seeded.bernoulli(key, 0.3, bytes);
            long[] bits = seeded.bernoulliBits(key, 0.3, n);
            // the default implementation (packing the byte mask) as a second reference
            long[] packed = new MaskSource() {
                @Override
                public void bernoulli(MaskKey k, double p, byte[] keep) {
                    seeded.bernoulli(k, p, keep);
                }

                @Override
                public void bernoulli(MaskKey k, float[] p, byte[] keep) {
                    throw new AssertionError("not used");
                }

                @Override
                public int[] permutationPrefix(MaskKey k, int size, int count) {
                    throw new AssertionError("not used");
                }
            }.bernoulliBits(key, 0.3, n);
            assertThat(bits).hasSize((n + 63) / 64).isEqualTo(packed);
            int kept = 0;
            for (int i = 0; i < n; i++) {
                boolean bit = (bits[i / 64] >>> (i % 64) & 1) == 1;
                assertThat(bit).as("element %d of %d", i, n).isEqualTo(bytes[i] == 1);
                kept += bit ? 1 : 0;
            }
            if (n == 300_000) {
                assertThat(kept / (double) n).isBetween(0.29, 0.31);
            }
        }
    }
}
