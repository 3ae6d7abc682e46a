package dev.evomerge.merge.method;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Shape;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * The sparsification functions of mergekit's sparsify.py over one task vector: magnitude (TIES), magnitude_outliers
 * (breadcrumbs), random Bernoulli (DARE) and della_magprune (DELLA), each optionally followed by L1 rescaling.
 * Inputs are never modified (they may be cached); results are new arrays.
 *
 * <p>Magnitude ranking: elements are ordered by |δ| descending, equal magnitudes by ascending flat index (mergekit's
 * argsort leaves the order of equal magnitudes unspecified; the number kept is the same).
 */
final class Sparsifiers {

    /** Same threshold as mergekit's rescaled_masked_tensor. */
    static final float RESCALE_EPS = 1e-7f;

    private Sparsifiers() {
    }

    /** |δ| sorted ascending. */
    static float[] sortedMagnitudes(float[] delta) {
        float[] a = new float[delta.length];
        Numerics.forRange(a.length, (s, e) -> {
            for (int i = s; i < e; i++) {
                a[i] = Math.abs(delta[i]);
            }
        });
        Arrays.parallelSort(a);
        return a;
    }

    /**
     * magnitude: keeps the {@code k = int(density·N)} largest |δ|. density ≥ 1 returns the input itself; k ≤ 0 prunes
     * everything (mergekit asserts k > 0 and crashes).
     *
     * @param sortedAbs |δ| ascending, or null to compute it
     * @param l1        Σ|δ| in double, or NaN to compute it (only used when rescaling)
     */
    static float[] magnitude(DType d, float[] delta, float[] sortedAbs, double l1, double density, boolean rescale) {
        return magnitude(d, delta, sortedAbs, l1, density, rescale, false);
    }

    /**
     * As {@link #magnitude(DType, float[], float[], double, double, boolean)}; with inPlace the result overwrites
     * delta (for a task vector nobody else holds), so no second tensor-sized array is needed.
     */
    static float[] magnitude(DType d, float[] delta, float[] sortedAbs, double l1, double density, boolean rescale,
                             boolean inPlace) {
        if (density >= 1) {
            return delta;
        }
        long k = Math.max(0, (long) (density * delta.length));
        return keepRanks(d, delta, sortedAbs, l1, 0, k, rescale, inPlace);
    }

    /**
     * magnitude_outliers (breadcrumbs): drops the {@code n_top = int(gamma·N)} largest and then the smallest until
     * {@code int(density·N)} remain. When n_top is 0, mergekit's slice {@code [n_bot:-0]} is empty and zeroes the
     * whole task vector; here n_top = 0 simply drops no outliers.
     */
    static float[] outliers(DType d, float[] delta, float[] sortedAbs, double l1, double density, double gamma,
                            boolean rescale) {
        if (density >= 1) {
            return delta;
        }
        long n = delta.length;
        long target = Math.max(0, (long) (density * n));
        long nTop = Math.max(0, (long) (gamma * n));
        long nBot = n - target - nTop;
        if (nBot < 0) {
            nTop += nBot;
            nBot = 0;
        }
        return keepRanks(d, delta, sortedAbs, l1, nTop, n - nBot, rescale, false);
    }

    /**
     * The elements of descending-magnitude rank in [lo, hi), L1-rescaled when asked; in place (into delta) on request,
     * in which case Σ|δ| is taken before delta is overwritten.
     */
    private static float[] keepRanks(DType d, float[] delta, float[] sortedAbs, double l1, long lo, long hi,
                                     boolean rescale, boolean inPlace) {
        double before = rescale && inPlace && Double.isNaN(l1) ? Numerics.sumAbs(delta) : l1;
        float[] masked = keepRankRange(delta, sortedAbs, lo, hi, inPlace ? delta : new float[delta.length]);
        return rescale ? rescaleL1(d, delta, masked, before) : masked;
    }

    /**
     * random (DARE): keeps each element with probability density. Work dtype as mergekit on CPU: bf16 stays bf16,
     * fp16/fp32 work in float32 and the result is rounded to the tensor dtype. The keep probability itself is the
     * density converted to the work dtype ({@code full_like(x, density)}).
     */
    static float[] bernoulli(DType d, float[] delta, double density, boolean rescale, MaskSource masks,
                             MaskSource.MaskKey key) {
        return bernoulli(d, delta, density, rescale, masks, key, false);
    }

    /** As {@link #bernoulli(DType, float[], double, boolean, MaskSource, MaskSource.MaskKey)}, in place on request. */
    static float[] bernoulli(DType d, float[] delta, double density, boolean rescale, MaskSource masks,
                             MaskSource.MaskKey key, boolean inPlace) {
        if (density >= 1) {
            return delta;
        }
        DType wd = d == DType.BF16 ? DType.BF16 : DType.F32;
        byte[] keep = new byte[delta.length];
        if (density > 0) {
            masks.bernoulli(key, Numerics.round(wd, (float) density), keep);
        }
        double before = rescale ? Numerics.sumAbs(delta) : Double.NaN;
        float[] masked = applyMask(delta, keep, inPlace ? delta : new float[delta.length]);
        float[] res = rescale ? rescaleL1(wd, delta, masked, before) : masked;
        return castTo(d, wd, res);
    }

    /**
     * della_magprune: per row (dim 1; a 1-D tensor is one row) keep probability ramps linearly with the magnitude
     * rank from {@code density - epsilon} (smallest) to {@code density + epsilon} (largest).
     */
    static float[] della(DType d, float[] delta, Shape shape, double density, double epsilon, boolean rescale,
                         MaskSource masks, MaskSource.MaskKey key, String method) {
        if (density >= 1) {
            return delta;
        }
        if (density <= 0) {
            return applyMask(delta, new byte[delta.length]);
        }
        if (density + epsilon >= 1 || density - epsilon <= 0) {
            throw EvomergeException.usage("Method " + method + ", tensor " + key.tensorName() + ", model "
                    + key.model() + ": parameter 'epsilon' = " + epsilon + " must keep density ± epsilon inside (0, 1)"
                    + " (density = " + density + ").");
        }
        DType wd = d == DType.BF16 ? DType.BF16 : DType.F32;
        float[] p = dellaProbabilities(wd, delta, shape, density, epsilon);
        byte[] keep = new byte[delta.length];
        masks.bernoulli(key, p, keep);
        float[] masked = applyMask(delta, keep);
        float[] res = rescale ? rescaleL1(wd, delta, masked, Double.NaN) : masked;
        return castTo(d, wd, res);
    }

    /**
     * DELLA keep probabilities: rank r (1 = smallest |δ| in its row, ties by index) converted to the work dtype,
     * {@code rn = clamp((r - min)/(max - min), 0, 1)}, {@code p = (d - ε) + rn·2·ε} with torch's op order.
     * A row of one element has 0/0 in mergekit (NaN probabilities); here it gets rn = 0.5, i.e. p = density.
     */
    static float[] dellaProbabilities(DType wd, float[] delta, Shape shape, double density, double epsilon) {
        int n = delta.length;
        int rows;
        int cols;
        int inner;
        if (shape.rank() < 2) {
            rows = 1;
            cols = n;
            inner = 1;
        } else {
            rows = Math.toIntExact(shape.dim(0));
            cols = Math.toIntExact(shape.dim(1));
            inner = rows == 0 || cols == 0 ? 1 : n / (rows * cols);
        }
        float[] p = new float[n];
        float base = (float) (density - epsilon);
        float eps = (float) epsilon;
        int lines = rows * inner;
        IntStream lineStream = IntStream.range(0, lines);
        (n >= Numerics.GRAIN ? lineStream.parallel() : lineStream).forEach(line -> {
            int r0 = line / inner;
            int c0 = line % inner;
            int start = r0 * cols * inner + c0;
            Integer[] idx = new Integer[cols];
            for (int j = 0; j < cols; j++) {
                idx[j] = j;
            }
            Arrays.sort(idx, (a, b) -> {
                int c = Float.compare(Math.abs(delta[start + a * inner]), Math.abs(delta[start + b * inner]));
                return c != 0 ? c : Integer.compare(a, b);
            });
            float min = Numerics.round(wd, 1f);
            float max = Numerics.round(wd, cols);
            float range = Numerics.round(wd, max - min);
            for (int rank = 1; rank <= cols; rank++) {
                float r = Numerics.round(wd, rank);
                float rn;
                if (cols == 1) {
                    rn = 0.5f;
                } else {
                    rn = Numerics.round(wd, Numerics.round(wd, r - min) / range);
                    rn = Math.min(1f, Math.max(0f, rn));
                }
                float prob = Numerics.round(wd, base + Numerics.round(wd, Numerics.round(wd, rn * 2f) * eps));
                p[start + idx[rank - 1] * inner] = prob;
            }
        });
        return p;
    }

    /** δ·m with m ∈ {0, 1} as a float multiply (keeps torch's signed zeros). */
    static float[] applyMask(float[] delta, byte[] keep) {
        return applyMask(delta, keep, new float[delta.length]);
    }

    /** δ·m into out (which may be delta itself). */
    static float[] applyMask(float[] delta, byte[] keep, float[] out) {
        Numerics.forRange(out.length, (s, e) -> {
            for (int i = s; i < e; i++) {
                out[i] = delta[i] * (float) keep[i];
            }
        });
        return out;
    }

    /**
     * mergekit's L1 rescale in dtype d: {@code before = round(Σ|δ|)}, {@code after = round(Σ|masked|)}; if either is
     * below 1e-7 the masked tensor is returned, else {@code round(masked · round(before/after))}.
     * Sums are accumulated in double and rounded once (torch accumulates in float32 in its own order).
     */
    static float[] rescaleL1(DType d, float[] delta, float[] masked, double l1) {
        float before = Numerics.reduced(d, Double.isNaN(l1) ? Numerics.sumAbs(delta) : l1);
        float after = Numerics.reduced(d, Numerics.sumAbs(masked));
        float eps = Numerics.round(d, RESCALE_EPS);
        if (before < eps || after < eps) {
            return masked;
        }
        float ratio = Numerics.round(d, before / after);
        Numerics.forRange(masked.length, (s, e) -> {
            for (int i = s; i < e; i++) {
                masked[i] = Numerics.round(d, masked[i] * ratio);
            }
        });
        return masked;
    }

    private static float[] castTo(DType d, DType wd, float[] v) {
        if (d == wd || !Numerics.rounds(d)) {
            return v;
        }
        Numerics.forRange(v.length, (s, e) -> {
            for (int i = s; i < e; i++) {
                v[i] = Numerics.round(d, v[i]);
            }
        });
        return v;
    }

    /**
     * δ·keep where keep selects the elements of descending-magnitude rank in [lo, hi) (ties by ascending index), in one
     * pass (the mask is never materialised).
     */
    static float[] keepRankRange(float[] delta, float[] sortedAbs, long lo, long hi) {
        return keepRankRange(delta, sortedAbs, lo, hi, new float[delta.length]);
    }

    /**
     * As {@link #keepRankRange(float[], float[], long, long)} into out, which may be delta itself (every element is
     * read before its own slot is written). sortedAbs null: the boundary magnitudes are found by
     * {@link MagnitudeSelect} instead of a sort.
     */
    static float[] keepRankRange(float[] delta, float[] sortedAbs, long lo, long hi, float[] out) {
        int n = delta.length;
        Cut cut = hi > lo && n > 0 ? cut(delta, sortedAbs, lo, hi) : null;
        if (cut != null && !cut.top().partial() && !cut.bot().partial()) {
            // No cut-off inside a run of equal magnitudes: keep exactly vBot ≤ |δ| ≤ vTop.
            float vBot = cut.vBot();
            float vTop = cut.vTop();
            Numerics.forRange(n, (s, e) -> VectorMath.keepBand(delta, out, s, e - s, vBot, vTop));
            return out;
        }
        rankRange(delta, cut, lo, hi, (i, keep) -> out[i] = delta[i] * (keep ? 1f : 0f));
        return out;
    }

    /** The magnitudes at the top and bottom of the kept rank range and their windows among equal magnitudes. */
    private record Cut(float vTop, float vBot, Window top, Window bot) {
    }

    private static Cut cut(float[] v, float[] sortedAbs, long lo, long hi) {
        int n = v.length;
        if (sortedAbs != null) {
            float vTop = sortedAbs[(int) (n - 1 - lo)];
            float vBot = sortedAbs[(int) (n - hi)];
            Window top = window(sortedAbs, vTop, lo, hi);
            Window bot = vBot == vTop ? top : window(sortedAbs, vBot, lo, hi);
            return new Cut(vTop, vBot, top, bot);
        }
        MagnitudeSelect.Selected t = MagnitudeSelect.select(v, n - 1 - lo);
        MagnitudeSelect.Selected b = MagnitudeSelect.select(v, n - hi);
        Window top = window(n, t.below(), t.atMost(), lo, hi);
        Window bot = b.value() == t.value() ? top : window(n, b.below(), b.atMost(), lo, hi);
        return new Cut(t.value(), b.value(), top, bot);
    }

    /**
     * 1 where |v|'s descending rank (ties by ascending index) is in [lo, hi), found by binary search in the sorted
     * magnitudes; only magnitudes equal to a boundary value need their position among equals, counted per piece in a
     * first parallel pass. sortedAbs may be null (the boundaries are then selected without sorting).
     */
    static byte[] rankMask(float[] v, float[] sortedAbs, long lo, long hi) {
        byte[] keep = new byte[v.length];
        Cut cut = hi > lo && v.length > 0 ? cut(v, sortedAbs, lo, hi) : null;
        rankRange(v, cut, lo, hi, (i, k) -> keep[i] = k ? (byte) 1 : 0);
        return keep;
    }

    /** Receives the keep decision of every element. */
    @FunctionalInterface
    interface KeepSink {
        void accept(int index, boolean keep);
    }

    /** Calls sink for every index with whether its rank is in [lo, hi). */
    private static void rankRange(float[] v, Cut cut, long lo, long hi, KeepSink sink) {
        int n = v.length;
        if (hi <= lo || n == 0) {
            Numerics.forRange(n, (s, e) -> {
                for (int i = s; i < e; i++) {
                    sink.accept(i, false);
                }
            });
            return;
        }
        float vTop = cut.vTop();
        float vBot = cut.vBot();
        Window top = cut.top();
        Window bot = cut.bot();
        boolean topPartial = top.partial();
        boolean botPartial = bot != top && bot.partial();
        int pieces = (n + Numerics.GRAIN - 1) / Numerics.GRAIN;
        long[] topStart = new long[pieces];
        long[] botStart = new long[pieces];
        if (topPartial || botPartial) {
            long[] topCount = new long[pieces];
            long[] botCount = new long[pieces];
            IntStream.range(0, pieces).parallel().forEach(p -> {
                int s = p * Numerics.GRAIN;
                int e = Math.min(n, s + Numerics.GRAIN);
                long ct = 0;
                long cb = 0;
                for (int i = s; i < e; i++) {
                    float a = Math.abs(v[i]);
                    if (a == vTop) {
                        ct++;
                    } else if (a == vBot) {
                        cb++;
                    }
                }
                topCount[p] = ct;
                botCount[p] = cb;
            });
            startsFrom(topCount, topStart);
            startsFrom(botCount, botStart);
        }
        IntStream ps = IntStream.range(0, pieces);
        (pieces > 2 ? ps.parallel() : ps).forEach(p -> {
            int s = p * Numerics.GRAIN;
            int e = Math.min(n, s + Numerics.GRAIN);
            long et = topStart[p];
            long eb = botStart[p];
            for (int i = s; i < e; i++) {
                float a = Math.abs(v[i]);
                boolean k;
                if (a > vTop) {
                    k = false;
                } else if (a == vTop) {
                    k = et >= top.eLo && et < top.eHi;
                    et++;
                } else if (a > vBot) {
                    k = true;
                } else if (a == vBot) {
                    k = eb >= bot.eLo && eb < bot.eHi;
                    eb++;
                } else {
                    k = false;
                }
                sink.accept(i, k);
            }
        });
    }

    /** starts[p] = counts[0] + ... + counts[p - 1]: where each piece begins among the elements counted. */
    static void startsFrom(long[] counts, long[] starts) {
        for (int p = 1; p < counts.length; p++) {
            starts[p] = starts[p - 1] + counts[p - 1];
        }
    }

    /** Positions among the elements equal to v (in index order) whose rank falls in [lo, hi). */
    record Window(long eLo, long eHi, long count) {
        boolean partial() {
            return eLo > 0 || eHi < count;
        }
    }

    private static Window window(float[] sortedAbs, float v, long lo, long hi) {
        int n = sortedAbs.length;
        int first = lowerBound(sortedAbs, v);
        int after = upperBound(sortedAbs, v);
        return window(n, first, after, lo, hi);
    }

    /** The window from the counts of magnitudes below v (first) and at most v (after). */
    static Window window(long n, long first, long after, long lo, long hi) {
        long greater = n - after;
        long count = after - first;
        return new Window(Math.max(0, lo - greater), Math.min(count, hi - greater), count);
    }

    private static int lowerBound(float[] a, float v) {
        int l = 0;
        int h = a.length;
        while (l < h) {
            int m = (l + h) >>> 1;
            if (Float.compare(a[m], v) < 0) {
                l = m + 1;
            } else {
                h = m;
            }
        }
        return l;
    }

    private static int upperBound(float[] a, float v) {
        int l = 0;
        int h = a.length;
        while (l < h) {
            int m = (l + h) >>> 1;
            if (Float.compare(a[m], v) <= 0) {
                l = m + 1;
            } else {
                h = m;
            }
        }
        return l;
    }
}
