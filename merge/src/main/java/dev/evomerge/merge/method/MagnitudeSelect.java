package dev.evomerge.merge.method;

import java.util.stream.IntStream;

/**
 * Order statistics of |v| without sorting: the magnitude at an ascending position, with how many magnitudes are
 * below it and at most it, found by a two-pass radix select (histograms of the top and then the low 16 bits of the
 * magnitude's float bits). Non-negative floats order like their bit patterns, so this agrees with sorting by
 * {@link Float#compare}; every NaN counts as one value above +inf, as in a sort. Needs no copy of the input, only
 * per-thread histograms, where a sort needs one or two arrays the size of the tensor.
 */
final class MagnitudeSelect {

    static final int CANONICAL_NAN = 0x7FC0_0000;
    private static final int BUCKETS = 1 << 16;

    /**
     * The magnitude at a position and its neighbourhood in ascending order.
     *
     * @param value   the magnitude at the position
     * @param below   how many magnitudes are smaller
     * @param atMost  how many magnitudes are smaller or equal
     */
    record Selected(float value, long below, long atMost) {
    }

    private MagnitudeSelect() {
    }

    /** The key that orders |x| like {@link Float#compare}: the magnitude's bits, NaNs folded into one. */
    static int key(float x) {
        int b = Float.floatToRawIntBits(x) & 0x7FFF_FFFF;
        return b > 0x7F80_0000 ? CANONICAL_NAN : b;
    }

    /** The magnitude at ascending position pos (0 ≤ pos < v.length). */
    static Selected select(float[] v, long pos) {
        int n = v.length;
        if (pos < 0 || pos >= n) {
            throw new IllegalArgumentException("position " + pos + " outside 0.." + (n - 1));
        }
        long[] high = histogram(v, -1);
        long below = 0;
        int hb = 0;
        while (below + high[hb] <= pos) {
            below += high[hb];
            hb++;
        }
        long[] low = histogram(v, hb);
        int lb = 0;
        while (below + low[lb] <= pos) {
            below += low[lb];
            lb++;
        }
        int k = hb << 16 | lb;
        float value = k == CANONICAL_NAN ? Float.NaN : Float.intBitsToFloat(k);
        return new Selected(value, below, below + low[lb]);
    }

    /**
     * Counts of keys by their top 16 bits (highBucket < 0), or by their low 16 bits among the keys whose top bits
     * are highBucket. Each piece of the input gets its own histogram; they are summed at the end.
     */
    private static long[] histogram(float[] v, int highBucket) {
        int n = v.length;
        int pieces = Math.max(1, Math.min(64, n / (1 << 18)));
        int per = (n + pieces - 1) / pieces;
        int[][] parts = new int[pieces][];
        IntStream ps = IntStream.range(0, pieces);
        (pieces > 1 ? ps.parallel() : ps).forEach(p -> {
            int[] h = new int[BUCKETS];
            int s = p * per;
            int e = Math.min(n, s + per);
            if (highBucket < 0) {
                for (int i = s; i < e; i++) {
                    h[key(v[i]) >>> 16]++;
                }
            } else {
                for (int i = s; i < e; i++) {
                    int k = key(v[i]);
                    if (k >>> 16 == highBucket) {
                        h[k & 0xFFFF]++;
                    }
                }
            }
            parts[p] = h;
        });
        long[] sum = new long[BUCKETS];
        for (int[] h : parts) {
            for (int b = 0; b < BUCKETS; b++) {
                sum[b] += h[b];
            }
        }
        return sum;
    }
}
