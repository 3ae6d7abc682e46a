package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.util.List;

/**
 * The streamed path of {@link GtaMethod}, taken by ties without rescale, dare_ties and dare_linear when the work dtype
 * is bf16 ({@link #applies}), with or without a task-vector cache (streaming re-reads the inputs faster than the
 * array path reads cached float32 task vectors, and needs no memory per tensor): magnitude-pruned or randomly dropped
 * task arithmetic without whole-tensor float arrays. What the pruning needs from a whole task vector is gathered
 * first: for magnitude pruning the cut-offs, from the task vector's {@link MagnitudeCounts} (counted in one pass, and
 * kept by the session's {@link MagnitudeCountCache} so that later merges count nothing), and, where a cut-off falls
 * inside a run of equal magnitudes, the element index where the kept part of the run ends (one block of the inputs
 * read again); for DARE's rescale the L1 norms. ties is then merged in one pass by {@link TiesStream}; dare, and
 * ties with a NaN cut-off, piece by piece, recomputing {@code δ = round(x - b)} from the inputs, with the same code
 * as the array path ({@link GtaMethod#combinePiece}). The results are the array path's bit for bit: the same
 * decisions per element, the same pieces for the double-precision sums.
 *
 * <p>bf16 only: |δ| then has at most 2^16 bit patterns, so one count gives the exact order statistics that
 * {@link MagnitudeSelect} finds in two. Memory: the magnitude counts (at most 256 KiB per tensor and model), DARE's
 * keep masks (one bit per element and model) and a few pieces of {@link Numerics#GRAIN} floats per thread.
 */
final class StreamedGta {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private StreamedGta() {
    }

    /** How one model's task vector is pruned, decided up front and applied to any piece of it. */
    @FunctionalInterface
    interface Pruning {
        /** Replaces {@code delta[0..e-s)}, the task vector's elements [s, e) of piece p, with their pruned values. */
        void apply(float[] delta, int s, int e, int p);
    }

    /**
     * Whether {@link #merge} handles this case: work dtype bf16, and random sparsification or magnitude
     * sparsification without rescale. A task-vector cache is not used here: at 760M parameters it cannot hold the
     * float32 task vectors and their sorted magnitudes (8 bytes per element and model), and where it can, the
     * streamed merge is still faster than the array path over cached vectors.
     */
    static boolean applies(MergeInputs in, GtaVariant.Sparsification sparsification, boolean rescale) {
        boolean pruning = sparsification == GtaVariant.Sparsification.RANDOM
                || sparsification == GtaVariant.Sparsification.MAGNITUDE && !rescale;
        return pruning && in.workDtype() == DType.BF16;
    }

    /**
     * The merged tensor: task vectors of {@code xs} against {@code b} pruned by magnitude or by DARE's random mask
     * ({@code sparsification} MAGNITUDE or RANDOM), then mixed as {@code mix} says and added to the base.
     */
    static Tensor merge(MergeInputs in, Tensor b, List<Tensor> xs, double[] density,
                        GtaVariant.Sparsification sparsification, boolean rescale, GtaMethod.Mixing mix,
                        Arena arena) {
        DType d = in.workDtype();
        int n = Math.toIntExact(b.numel());
        int models = xs.size();
        Pruning[] pruning = new Pruning[models];
        for (int i = 0; i < models; i++) {
            Tensor x = xs.get(i);
            pruning[i] = switch (sparsification) {
                case RANDOM -> dare(in, x, b, n, density[i], rescale, in.others().get(i).model());
                case MAGNITUDE -> magnitude(in, x, b, n, density[i], in.others().get(i).model());
                default -> throw new IllegalArgumentException("not streamed: " + sparsification);
            };
        }
        Tensor out = in.output(d, b.shape(), arena);
        TiesStream.Cutoffs[] cuts = fusable(b, xs, pruning, mix);
        if (cuts != null) {
            TiesStream.merge(b, xs, cuts, mix.weights(), mix.normalize(), mix.lambda() != 1, (float) mix.lambda(),
                    out, in.rowTarget(out));
            return out;
        }
        Numerics.forPieces(n, (p, s, e) -> {
            int len = e - s;
            float[][] pruned = PieceScratch.get().deltas(models, len);
            for (int i = 0; i < models; i++) {
                TaskVectors.delta(d, xs.get(i), b, s, pruned[i], 0, len);
                pruning[i].apply(pruned[i], s, e, p);
            }
            GtaMethod.combinePiece(d, b, pruned, 0, mix, out, s, len);
        });
        return out;
    }

    /**
     * The cut-offs of every model when the one-pass ties kernel ({@link TiesStream}) can merge: magnitude pruning
     * with no NaN cut-off, sign consensus, and tensors the stream kernels read; else null (the piece path).
     */
    private static TiesStream.Cutoffs[] fusable(Tensor b, List<Tensor> xs, Pruning[] pruning, GtaMethod.Mixing mix) {
        List<Tensor> all = new java.util.ArrayList<>(xs);
        all.add(b);
        if (!mix.consensus() || !StreamKernels.supports(DType.BF16, all)) {
            return null;
        }
        TiesStream.Cutoffs[] cuts = new TiesStream.Cutoffs[pruning.length];
        for (int i = 0; i < pruning.length; i++) {
            if (!(pruning[i] instanceof TiesStream.Cutoffs c)) {
                return null;
            }
            cuts[i] = c;
        }
        return cuts;
    }

    /**
     * magnitude ({@link Sparsifiers#magnitude} without rescale): keeps the k = int(density·N) largest |δ|, ties by
     * ascending index. The cut-offs come from the task vector's {@link MagnitudeCounts} (kept by the session's
     * {@link MagnitudeCountCache}, so only a session's first merge counts); where a cut-off falls inside a run of
     * equal magnitudes, the kept ones of the run are those before (or from) one element index, found by reading
     * one block of the inputs again.
     */
    private static Pruning magnitude(MergeInputs in, Tensor x, Tensor b, int n, double density, String model) {
        if (density >= 1) {
            return TiesStream.Cutoffs.keepAll(n);
        }
        long k = Math.max(0, (long) (density * n));
        if (k <= 0 || n == 0) {
            return TiesStream.Cutoffs.dropAll();
        }
        MagnitudeCounts counts = counts(in, x, b, n, model);
        MagnitudeSelect.Selected top = counts.select(n - 1);
        MagnitudeSelect.Selected bot = counts.select(n - k);
        float vTop = top.value();
        float vBot = bot.value();
        Sparsifiers.Window tw = Sparsifiers.window(n, top.below(), top.atMost(), 0, k);
        Sparsifiers.Window bw = bot.value() == top.value() ? tw
                : Sparsifiers.window(n, bot.below(), bot.atMost(), 0, k);
        if (Float.isNaN(vTop) || Float.isNaN(vBot)) {
            return countedPruning(x, b, n, vTop, vBot, tw, bw);
        }
        // the kept elements equal to a cut-off are those of occurrence rank [eLo, eHi): an index range
        int tLo = tw.eLo() > 0 ? counts.indexOfOccurrence(x, b, vTop, tw.eLo()) : 0;
        int tHi = tw.eHi() < tw.count() ? counts.indexOfOccurrence(x, b, vTop, tw.eHi()) : n;
        int bLo = 0;
        int bHi = 0;
        if (bw != tw) {
            bLo = bw.eLo() > 0 ? counts.indexOfOccurrence(x, b, vBot, bw.eLo()) : 0;
            bHi = bw.eHi() < bw.count() ? counts.indexOfOccurrence(x, b, vBot, bw.eHi()) : n;
        }
        return new TiesStream.Cutoffs(vBot, vTop, tLo, tHi, bLo, bHi);
    }

    /** The task vector's magnitude counts: from the session's cache when it has one, else counted now. */
    private static MagnitudeCounts counts(MergeInputs in, Tensor x, Tensor b, int n, String model) {
        MagnitudeCountCache cache = in.cache() == null ? null : in.cache().magnitudes();
        if (cache == null) {
            return MagnitudeCounts.of(x, b, n, MagnitudeCountCache.ENTRY_BYTES);
        }
        return cache.get(in.tensorName(), model, in.baseModel(), n,
                () -> MagnitudeCounts.of(x, b, n, MagnitudeCountCache.ENTRY_BYTES));
    }

    /**
     * The pruning with a NaN cut-off: the position among equal magnitudes at the start of each piece, counted in a
     * pass over the inputs; decisions element by element where a magnitude equals a cut-off.
     */
    private static Pruning countedPruning(Tensor x, Tensor b, int n, float vTop, float vBot, Sparsifiers.Window tw,
                                          Sparsifiers.Window bw) {
        boolean topPartial = tw.partial();
        boolean botPartial = bw != tw && bw.partial();
        if (!topPartial && !botPartial) {
            // no cut inside a run of equal magnitudes: the band vBot ≤ |δ| ≤ vTop (as Sparsifiers.keepRankRange)
            return (delta, s, e, p) -> VectorMath.keepBand(delta, delta, 0, e - s, vBot, vTop);
        }
        // position among the magnitudes equal to vTop / vBot at the start of each piece
        int pieces = Numerics.pieces(n);
        long[] topStart = new long[pieces];
        long[] botStart = new long[pieces];
        long[] topCount = new long[pieces];
        long[] botCount = new long[pieces];
        Numerics.forPieces(n, (p, s, e) -> {
            float[] delta = deltaPiece(x, b, s, e);
            long ct = 0;
            long cb = 0;
            int j = 0;
            for (; j < F.loopBound(e - s); j += F.length()) {
                FloatVector a = FloatVector.fromArray(F, delta, j).abs();
                VectorMask<Float> eqTop = a.compare(VectorOperators.EQ, vTop);
                ct += eqTop.trueCount();
                cb += a.compare(VectorOperators.EQ, vBot).andNot(eqTop).trueCount();
            }
            for (; j < e - s; j++) {
                float a = Math.abs(delta[j]);
                ct += a == vTop ? 1 : 0;
                cb += a != vTop && a == vBot ? 1 : 0;
            }
            topCount[p] = ct;
            botCount[p] = cb;
        });
        Sparsifiers.startsFrom(topCount, topStart);
        Sparsifiers.startsFrom(botCount, botStart);
        // the decisions of Sparsifiers.rankRange: vector by vector, element by element where a magnitude equals a
        // boundary (its position among the equal ones decides)
        return (delta, s, e, p) -> {
            long et = topStart[p];
            long eb = botStart[p];
            int len = e - s;
            int j = 0;
            VectorMask<Float> noUpper = F.maskAll(Float.isNaN(vTop)); // |δ| > NaN is false, so nothing is above
            FloatVector one = FloatVector.broadcast(F, 1f);
            FloatVector zero = FloatVector.zero(F);
            for (; j < F.loopBound(len); j += F.length()) {
                FloatVector v = FloatVector.fromArray(F, delta, j);
                FloatVector a = v.abs();
                if (a.compare(VectorOperators.EQ, vTop).or(a.compare(VectorOperators.EQ, vBot)).anyTrue()) {
                    for (int q = j; q < j + F.length(); q++) {
                        float m = Math.abs(delta[q]);
                        if (m == vTop) {
                            delta[q] = delta[q] * (et >= tw.eLo() && et < tw.eHi() ? 1f : 0f);
                            et++;
                        } else if (m == vBot) {
                            delta[q] = delta[q] * (eb >= bw.eLo() && eb < bw.eHi() ? 1f : 0f);
                            eb++;
                        } else {
                            delta[q] = delta[q] * (m > vBot && !(m > vTop) ? 1f : 0f);
                        }
                    }
                    continue;
                }
                VectorMask<Float> keep = a.compare(VectorOperators.GT, vBot)
                        .and(a.compare(VectorOperators.LT, vTop).or(noUpper));
                v.mul(zero.blend(one, keep)).intoArray(delta, j);
            }
            for (; j < len; j++) {
                float m = Math.abs(delta[j]);
                boolean keep;
                if (m > vTop) {
                    keep = false;
                } else if (m == vTop) {
                    keep = et >= tw.eLo() && et < tw.eHi();
                    et++;
                } else if (m > vBot) {
                    keep = true;
                } else if (m == vBot) {
                    keep = eb >= bw.eLo() && eb < bw.eHi();
                    eb++;
                } else {
                    keep = false;
                }
                delta[j] = delta[j] * (keep ? 1f : 0f);
            }
        };
    }

    /** The task vector's elements [s, e), {@code round(x - b)} in bf16, in this thread's scratch piece. */
    private static float[] deltaPiece(Tensor x, Tensor b, int s, int e) {
        float[] delta = PieceScratch.get().piece(e - s);
        TaskVectors.delta(DType.BF16, x, b, s, delta, 0, e - s);
        return delta;
    }

    /** 1 when element i of the bit mask is kept, else 0 (a multiplier, so that dropped elements keep their sign). */
    private static float kept(long[] bits, int i) {
        return (float) (bits[i >>> 6] >>> i & 1L); // no branch: the bits are random
    }

    /**
     * random ({@link Sparsifiers#bernoulli}, bf16 work dtype): keeps each element with probability density from the
     * seeded mask, then (rescale) multiplies by {@code round(round(Σ|δ|) / round(Σ|kept δ|))}, the sums in double over
     * the same pieces as {@link Numerics#sumAbs}.
     */
    private static Pruning dare(MergeInputs in, Tensor x, Tensor b, int n, double density, boolean rescale,
                                String model) {
        if (density >= 1) {
            return (delta, s, e, p) -> { };
        }
        long[] keep = density > 0
                ? in.masks().bernoulliBits(new MaskSource.MaskKey(in.tensorName(), model, "dare"),
                        Numerics.round(DType.BF16, (float) density), n)
                : new long[(n + 63) >>> 6];
        float ratio = 1f;
        boolean scale = false;
        if (rescale) {
            int pieces = Numerics.pieces(n);
            double[] before = new double[pieces];
            double[] after = new double[pieces];
            Numerics.forPieces(n, (p, s, e) -> {
                float[] delta = deltaPiece(x, b, s, e);
                double sb = 0;
                double sa = 0;
                for (int j = 0; j < e - s; j++) {
                    sb += Math.abs(delta[j]);
                    sa += Math.abs(delta[j] * kept(keep, s + j));
                }
                before[p] = sb;
                after[p] = sa;
            });
            double sumBefore = 0;
            double sumAfter = 0;
            for (int p = 0; p < pieces; p++) {
                sumBefore += before[p];
                sumAfter += after[p];
            }
            float fb = Numerics.reduced(DType.BF16, sumBefore);
            float fa = Numerics.reduced(DType.BF16, sumAfter);
            float eps = Numerics.round(DType.BF16, Sparsifiers.RESCALE_EPS);
            if (!(fb < eps || fa < eps)) { // as Sparsifiers.rescaleL1, NaN sums included
                ratio = Numerics.round(DType.BF16, fb / fa);
                scale = true;
            }
        }
        float r = ratio;
        boolean scaled = scale;
        return (delta, s, e, p) -> {
            for (int j = 0; j < e - s; j++) {
                float masked = delta[j] * kept(keep, s + j);
                delta[j] = scaled ? Numerics.round(DType.BF16, masked * r) : masked;
            }
        };
    }
}
