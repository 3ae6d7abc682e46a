package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.stream.IntStream;

/**
 * How often each magnitude occurs in one bf16 task vector {@code δ = round(x - b)}, in the whole tensor and in each of
 * a few contiguous blocks of it: what magnitude pruning needs to find its cut-offs at any density without reading the
 * inputs again. It depends only on the two input tensors, not on a candidate's weights or densities, so a session
 * keeps it ({@link MagnitudeCountCache}) and every later merge skips the pass that made it.
 *
 * <p>bf16 only: |δ| then has at most 2^16 bit patterns (the keys of {@link MagnitudeSelect#key} by their top 16 bits),
 * so these counts give the exact order statistics. The per-block counts locate the element where a cut-off falls
 * inside a run of equal magnitudes: only the block that holds it is read again ({@link #indexOfOccurrence}).
 *
 * <p>Memory: the magnitudes that occur (2 bytes each) and their total counts (4 bytes each), plus, per block (up to
 * {@link #MAX_BLOCKS} of them), the counts (4 bytes each) of as many of the most frequent magnitudes as fit in the
 * budget given to {@link #of}. A cut-off among those reads one block again; a rarer one (a density near 0 or 1)
 * reads the whole tensor again, as without these counts.
 */
final class MagnitudeCounts {

    /** The most blocks a tensor is split into (the finest split the first pass counts). */
    static final int MAX_BLOCKS = 64;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private final int n;
    /** The keys present (top 16 bits of {@link MagnitudeSelect#key}), ascending. */
    private final char[] keys;
    /** total[k]: how many elements have key keys[k]. */
    private final int[] total;
    /** blockStart[g] .. blockStart[g + 1]: the elements of block g (piece boundaries of {@link Numerics}). */
    private final int[] blockStart;
    /** The most frequent keys, ascending: those with counts per block. */
    private final char[] blocked;
    /** blockCounts[g * blocked.length + j]: how many elements of block g have key blocked[j]. */
    private final int[] blockCounts;

    private MagnitudeCounts(int n, char[] keys, int[] total, int[] blockStart, char[] blocked, int[] blockCounts) {
        this.n = n;
        this.keys = keys;
        this.total = total;
        this.blockStart = blockStart;
        this.blocked = blocked;
        this.blockCounts = blockCounts;
    }

    /** Elements counted. */
    int size() {
        return n;
    }

    /** Blocks the tensor is split into. */
    int blocks() {
        return blockStart.length - 1;
    }

    /** Distinct magnitudes present. */
    int distinct() {
        return keys.length;
    }

    /** Distinct magnitudes with counts per block (the most frequent ones). */
    int blockedMagnitudes() {
        return blocked.length;
    }

    /** Approximate memory held, in bytes. */
    long bytes() {
        return 64 + 6L * keys.length + 4L * blockStart.length + 2L * blocked.length + 4L * blockCounts.length;
    }

    /**
     * Counts the magnitudes of {@code round(x - b)} (bf16, n elements) in one parallel pass over the inputs: all of
     * them in total, and per block as many of the most frequent ones as fit in {@code maxBytes} (the cut-off of a
     * density far from 0 and 1 falls among them; a rarer one is located by reading the whole tensor again).
     */
    static MagnitudeCounts of(Tensor x, Tensor b, int n, long maxBytes) {
        int pieces = Numerics.pieces(n);
        // at least 4 pieces per block: each block's first count is a 256 KiB histogram to clear and add up
        int blocks = Math.max(1, Math.min(pieces / 4, MAX_BLOCKS));
        int[] blockStart = new int[blocks + 1];
        for (int g = 0; g < blocks; g++) {
            // whole pieces per block, as even as they go
            blockStart[g] = (int) ((long) g * pieces / blocks) * Numerics.GRAIN;
        }
        blockStart[blocks] = n;
        int[][] hist = new int[blocks][];
        // blocks run in parallel, each over its own range into its own histogram
        IntStream gs = IntStream.range(0, blocks);
        (blocks > 1 ? gs.parallel() : gs).forEach(g -> hist[g] = histogram(x, b, blockStart[g], blockStart[g + 1]));
        long[] sum = new long[1 << 16];
        for (int[] h : hist) {
            for (int k = 0; k < h.length; k++) {
                sum[k] += h[k];
            }
        }
        int distinct = 0;
        for (long c : sum) {
            distinct += c > 0 ? 1 : 0;
        }
        char[] keys = new char[distinct];
        int[] total = new int[distinct];
        for (int k = 0, j = 0; k < sum.length; k++) {
            if (sum[k] > 0) {
                keys[j] = (char) k;
                total[j++] = (int) sum[k];
            }
        }
        long room = maxBytes - 64 - 6L * distinct - 4L * (blocks + 1);
        int many = blocks == 1 ? 0 : (int) Math.max(0, Math.min(distinct, room / (2 + 4L * blocks)));
        char[] blocked = mostFrequent(keys, total, many);
        int[] counts = new int[blocks * many];
        for (int g = 0; g < blocks; g++) {
            for (int j = 0; j < many; j++) {
                counts[g * many + j] = hist[g][blocked[j]];
            }
        }
        return new MagnitudeCounts(n, keys, total, blockStart, blocked, counts);
    }

    /** The {@code many} keys with the largest totals, ascending. */
    private static char[] mostFrequent(char[] keys, int[] total, int many) {
        if (many >= keys.length) {
            return keys.clone();
        }
        // the count of the many-th most frequent key, then every key above it and as many equal to it as fit
        int[] sorted = total.clone();
        java.util.Arrays.sort(sorted);
        int bar = many == 0 ? Integer.MAX_VALUE : sorted[sorted.length - many];
        int above = 0;
        for (int t : total) {
            above += t > bar ? 1 : 0;
        }
        int equal = many - above;
        char[] out = new char[many];
        int j = 0;
        for (int k = 0; k < keys.length && j < many; k++) {
            if (total[k] > bar || total[k] == bar && equal-- > 0) {
                out[j++] = keys[k];
            }
        }
        return out;
    }

    /** Counts of the keys' top 16 bits over the elements [from, to), a piece at a time. */
    private static int[] histogram(Tensor x, Tensor b, int from, int to) {
        int[] h = new int[1 << 16];
        float[] delta = PieceScratch.get().piece(Numerics.GRAIN);
        for (int s = from; s < to; s += Numerics.GRAIN) {
            int len = Math.min(Numerics.GRAIN, to - s);
            TaskVectors.delta(DType.BF16, x, b, s, delta, 0, len);
            for (int j = 0; j < len; j++) {
                h[MagnitudeSelect.key(delta[j]) >>> 16]++;
            }
        }
        return h;
    }

    /** The magnitude at ascending position pos, with how many are below it and at most it. */
    MagnitudeSelect.Selected select(long pos) {
        long below = 0;
        int k = 0;
        while (below + total[k] <= pos) {
            below += total[k];
            k++;
        }
        int key = keys[k] << 16;
        float value = key == MagnitudeSelect.CANONICAL_NAN ? Float.NaN : Float.intBitsToFloat(key);
        return new MagnitudeSelect.Selected(value, below, below + total[k]);
    }

    /**
     * The index of the element that is the r-th (from 0, in index order) of those with |δ| equal to v, a magnitude
     * present and not NaN; {@code n} when r is the number of them. Reads the inputs of one block only.
     */
    int indexOfOccurrence(Tensor x, Tensor b, float v, long r) {
        int k = slotOf(v);
        if (r >= total[k]) {
            return n;
        }
        int j = java.util.Arrays.binarySearch(blocked, keys[k]);
        long before = 0;
        int g = -1;
        if (j >= 0) {
            int many = blocked.length;
            g = 0;
            while (before + blockCounts[g * many + j] <= r) {
                before += blockCounts[g * many + j];
                g++;
            }
        }
        int from = g < 0 ? 0 : blockStart[g];
        int to = g < 0 ? n : blockStart[g + 1];
        // count per piece of the block in parallel, then walk the piece that holds it
        int pieces = (to - from + Numerics.GRAIN - 1) / Numerics.GRAIN;
        long[] count = new long[pieces];
        IntStream ps = IntStream.range(0, pieces);
        (pieces > 1 ? ps.parallel() : ps).forEach(p -> {
            int s = from + p * Numerics.GRAIN;
            int len = Math.min(Numerics.GRAIN, to - s);
            float[] delta = PieceScratch.get().piece(len);
            TaskVectors.delta(DType.BF16, x, b, s, delta, 0, len);
            count[p] = countEqual(delta, len, v);
        });
        int p = 0;
        while (before + count[p] <= r) {
            before += count[p];
            p++;
        }
        int s = from + p * Numerics.GRAIN;
        int len = Math.min(Numerics.GRAIN, to - s);
        float[] delta = PieceScratch.get().piece(len);
        TaskVectors.delta(DType.BF16, x, b, s, delta, 0, len);
        for (int q = 0; q < len; q++) {
            if (Math.abs(delta[q]) == v && before++ == r) {
                return s + q;
            }
        }
        throw new IllegalStateException("magnitude counts disagree with the inputs at element " + s);
    }

    /** How many of delta[0..len) have |δ| == v. */
    private static long countEqual(float[] delta, int len, float v) {
        long c = 0;
        int j = 0;
        for (; j < F.loopBound(len); j += F.length()) {
            c += FloatVector.fromArray(F, delta, j).abs().compare(VectorOperators.EQ, v).trueCount();
        }
        for (; j < len; j++) {
            c += Math.abs(delta[j]) == v ? 1 : 0;
        }
        return c;
    }

    private int slotOf(float v) {
        int key = MagnitudeSelect.key(v) >>> 16;
        int lo = 0;
        int hi = keys.length - 1;
        while (lo <= hi) {
            int m = (lo + hi) >>> 1;
            if (keys[m] < key) {
                lo = m + 1;
            } else if (keys[m] > key) {
                hi = m - 1;
            } else {
                return m;
            }
        }
        throw new IllegalArgumentException("magnitude " + v + " does not occur");
    }
}
