package dev.evomerge.merge.method;

/**
 * Source of the random draws of dare (Bernoulli keep masks), della (per-element keep probabilities) and arcee_fusion
 * (random subset of a large tensor for its quantiles). Every draw is keyed by tensor, model and purpose, so a seeded
 * source gives the same masks whatever order or thread the tensors are merged in. Tests inject fixed masks.
 */
public interface MaskSource {

    /** Identifies one draw: output tensor, model id (or "" when not per model) and what the draw is for. */
    record MaskKey(String tensorName, String model, String purpose) {
    }

    /** Sets {@code keep[i] = 1} with probability {@code p}, else 0, independently for every element. */
    void bernoulli(MaskKey key, double p, byte[] keep);

    /**
     * The mask {@link #bernoulli(MaskKey, double, byte[])} draws for n elements, as bits: element i is kept when bit
     * {@code i & 63} of {@code bits[i >>> 6]} is set. The default draws the byte mask and packs it; a source may draw
     * straight into bits, an eighth of the memory.
     */
    default long[] bernoulliBits(MaskKey key, double p, int n) {
        byte[] keep = new byte[n];
        bernoulli(key, p, keep);
        long[] bits = new long[(n + 63) >>> 6];
        for (int i = 0; i < n; i++) {
            if (keep[i] != 0) {
                bits[i >>> 6] |= 1L << i;
            }
        }
        return bits;
    }

    /** Sets {@code keep[i] = 1} with probability {@code p[i]}, else 0. */
    void bernoulli(MaskKey key, float[] p, byte[] keep);

    /** The first {@code k} entries of a uniformly random permutation of {@code 0..n-1}. */
    int[] permutationPrefix(MaskKey key, int n, int k);

    /** A reproducible source: the same seed, key and size give the same draw. */
    static MaskSource seeded(long seed) {
        return new SeededMaskSource(seed);
    }

    /** A source that refuses to draw: for callers that know the merge is deterministic. */
    static MaskSource unseeded() {
        return new MaskSource() {
            @Override
            public void bernoulli(MaskKey key, double p, byte[] keep) {
                throw refused(key);
            }

            @Override
            public void bernoulli(MaskKey key, float[] p, byte[] keep) {
                throw refused(key);
            }

            @Override
            public int[] permutationPrefix(MaskKey key, int n, int k) {
                throw refused(key);
            }

            private IllegalStateException refused(MaskKey key) {
                return new IllegalStateException("tensor " + key.tensorName() + " needs random draws (" + key.purpose()
                        + ") but the merge was given no seeded MaskSource");
            }
        };
    }
}
