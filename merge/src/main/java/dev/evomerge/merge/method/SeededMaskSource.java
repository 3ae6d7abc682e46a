package dev.evomerge.merge.method;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * The production {@link MaskSource}: SplittableRandom streams derived from (seed, key, block of 64Ki elements), so
 * masks do not depend on the merge order or the number of threads, and large tensors are drawn in parallel.
 */
final class SeededMaskSource implements MaskSource {

    private static final int BLOCK = 1 << 16;

    private final long seed;

    SeededMaskSource(long seed) {
        this.seed = seed;
    }

    @Override
    public void bernoulli(MaskKey key, double p, byte[] keep) {
        long k = keyHash(key);
        // Compare against a 53-bit uniform in [0,1): P(u < p) = p up to 2^-53.
        blocks(keep.length).forEach(b -> {
            SplittableRandom r = stream(k, b);
            int end = Math.min(keep.length, (b + 1) * BLOCK);
            for (int i = b * BLOCK; i < end; i++) {
                keep[i] = r.nextDouble() < p ? (byte) 1 : 0;
            }
        });
    }

    @Override
    public long[] bernoulliBits(MaskKey key, double p, int n) {
        long k = keyHash(key);
        long[] bits = new long[(n + 63) >>> 6];
        // the same draws as bernoulli(key, p, keep); a block is a whole number of words, so blocks never share one
        blocks(n).forEach(b -> {
            SplittableRandom r = stream(k, b);
            int end = Math.min(n, (b + 1) * BLOCK);
            for (int i = b * BLOCK; i < end; i += 64) {
                // a word at a time in a register, without branches on the (unpredictable) draws
                long word = 0;
                int bitsHere = Math.min(64, end - i);
                for (int bit = 0; bit < bitsHere; bit++) {
                    word |= (r.nextDouble() < p ? 1L : 0L) << bit;
                }
                bits[i >>> 6] = word;
            }
        });
        return bits;
    }

    @Override
    public void bernoulli(MaskKey key, float[] p, byte[] keep) {
        long k = keyHash(key);
        blocks(keep.length).forEach(b -> {
            SplittableRandom r = stream(k, b);
            int end = Math.min(keep.length, (b + 1) * BLOCK);
            for (int i = b * BLOCK; i < end; i++) {
                keep[i] = r.nextDouble() < p[i] ? (byte) 1 : 0;
            }
        });
    }

    @Override
    public int[] permutationPrefix(MaskKey key, int n, int k) {
        // Partial Fisher-Yates: k swaps give the first k entries of a uniform permutation.
        SplittableRandom r = stream(keyHash(key), -1);
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        int m = Math.min(k, n);
        for (int i = 0; i < m; i++) {
            int j = i + r.nextInt(n - i);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        int[] out = new int[m];
        System.arraycopy(a, 0, out, 0, m);
        return out;
    }

    private static IntStream blocks(int n) {
        IntStream s = IntStream.range(0, (n + BLOCK - 1) / BLOCK);
        return n >= 4 * BLOCK ? s.parallel() : s;
    }

    private SplittableRandom stream(long keyHash, long block) {
        return new SplittableRandom(mix(mix(seed ^ keyHash) + block * 0x9E3779B97F4A7C15L));
    }

    /** A stable 64-bit hash of the key (FNV-1a over UTF-8; String.hashCode is only 32 bits). */
    private static long keyHash(MaskKey key) {
        long h = 0xcbf29ce484222325L;
        for (String s : new String[] {key.tensorName(), key.model(), key.purpose()}) {
            for (byte c : s.getBytes(StandardCharsets.UTF_8)) {
                h = (h ^ (c & 0xFF)) * 0x100000001b3L;
            }
            h = (h ^ 0xFF) * 0x100000001b3L;
        }
        return h;
    }

    /** SplitMix64 finalizer. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
