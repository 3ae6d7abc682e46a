package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.FloatFormats;
import dev.evomerge.core.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;

/**
 * ties on bf16 in one pass over the inputs, taken by {@link StreamedGta} once every task vector's magnitude cut-offs
 * are known ({@link Cutoffs}): each vector of the output reads the base and every input once, and recomputes
 * {@code δ_i = round(x_i - b)}, its pruning, {@code wd_i = round(δ_i·keep·W_i)}, the sign vote and the agreeing sums
 * in registers, with exactly the per-op rounding of {@link GtaMethod#combinePiece} with consensus (float32 op, round to
 * bf16, same order, no fused multiply-add), so the result is the piece path's bit for bit. The second loop over the
 * models recomputes {@code wd_i} instead of keeping it: an array of vectors would be allocated, and the inputs are
 * still in the L1 cache.
 *
 * <p>Rounding is written out in the loop and the intermediate roundings skip the NaN test, for the reasons given in
 * {@link StreamKernels}: a NaN here is a widened bf16 input or the result of an operation on such values or
 * constants, so its low 16 bits are zero and the rounding leaves it as it is.
 */
final class TiesStream {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Short> H = StreamKernels.SIMD
            ? VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2)) : null;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);

    private TiesStream() {
    }

    /**
     * Which elements of one task vector magnitude pruning keeps: {@code vBot < |δ| < vTop}, {@code |δ| == vTop} at
     * element indices [tLo, tHi), and {@code |δ| == vBot} (not vTop) at [bLo, bHi); an element whose |δ| is NaN is
     * dropped (δ·0 is that NaN again). Every decision of {@link Sparsifiers#keepRankRange} when no cut-off is NaN.
     */
    record Cutoffs(float vBot, float vTop, int tLo, int tHi, int bLo, int bHi) implements StreamedGta.Pruning {

        /** Every element kept (density ≥ 1): above -1 and below +inf, or +inf itself at any index. */
        static Cutoffs keepAll(int n) {
            return new Cutoffs(-1f, Float.POSITIVE_INFINITY, 0, n, 0, 0);
        }

        /** No element kept (k = 0): nothing is above +inf, nothing equals NaN, and [0, 0) holds no index. */
        static Cutoffs dropAll() {
            return new Cutoffs(Float.POSITIVE_INFINITY, Float.NaN, 0, 0, 0, 0);
        }

        boolean keeps(float m, int i) {
            return m > vBot && m < vTop || m == vTop && i >= tLo && i < tHi
                    || m == vBot && m != vTop && i >= bLo && i < bHi;
        }

        /** delta[0..e-s) (elements [s, e) of the task vector) times 1 where kept, 0 where not; no branch. */
        @Override
        public void apply(float[] delta, int s, int e, int p) {
            int len = e - s;
            int j = 0;
            FloatVector one = FloatVector.broadcast(F, 1f);
            FloatVector zero = FloatVector.zero(F);
            IntVector iota = IntVector.zero(I).addIndex(1);
            for (; j < F.loopBound(len); j += F.length()) {
                FloatVector v = FloatVector.fromArray(F, delta, j);
                FloatVector a = v.abs();
                IntVector idx = iota.add(s + j);
                VectorMask<Float> eqTop = a.compare(VectorOperators.EQ, vTop);
                VectorMask<Float> keep = a.compare(VectorOperators.GT, vBot).and(a.compare(VectorOperators.LT, vTop))
                        .or(eqTop.and(idx.compare(VectorOperators.GE, tLo)
                                .and(idx.compare(VectorOperators.LT, tHi)).cast(F)))
                        .or(a.compare(VectorOperators.EQ, vBot).andNot(eqTop).and(idx.compare(VectorOperators.GE, bLo)
                                .and(idx.compare(VectorOperators.LT, bHi)).cast(F)));
                v.mul(zero.blend(one, keep)).intoArray(delta, j);
            }
            for (; j < len; j++) {
                delta[j] = delta[j] * (keeps(Math.abs(delta[j]), s + j) ? 1f : 0f);
            }
        }
    }

    /**
     * The ties merge of {@code xs} over {@code b} into {@code out} (all bf16, off-heap): task vectors pruned by
     * {@code cuts}, weights {@code w}, TIES sign consensus, division by the agreeing weights when normalize, times
     * lam when scale, added to the base.
     */
    static void merge(Tensor b, List<Tensor> xs, Cutoffs[] cuts, float[] w, boolean normalize, boolean scale,
                      float lam, Tensor out) {
        int k = xs.size();
        MemorySegment[] in = new MemorySegment[k];
        float[] bot = new float[k];
        float[] top = new float[k];
        int[] tLo = new int[k];
        int[] tHi = new int[k];
        int[] bLo = new int[k];
        int[] bHi = new int[k];
        for (int m = 0; m < k; m++) {
            in[m] = xs.get(m).data();
            Cutoffs c = cuts[m];
            bot[m] = c.vBot();
            top[m] = c.vTop();
            tLo[m] = c.tLo();
            tHi[m] = c.tHi();
            bLo[m] = c.bLo();
            bHi[m] = c.bHi();
        }
        MemorySegment bs = b.data();
        MemorySegment o = out.data();
        StreamKernels.forTasks(out.numel(), (from, to) -> {
            float[] lo = new float[k];
            float[] hi = new float[k];
            // inside a task that no index bound of a run of equal cut-offs crosses, whether such a run is kept is
            // the same for all of it: the decision is then lo ≤ |δ| ≤ hi with bounds moved by one ulp (every task
            // but at most four per model); more than two models, or a task that a bound crosses, test indices
            if (k == 2 && bands(cuts, from, to, lo, hi)) {
                banded2(bs, in[0], in[1], lo[0], hi[0], lo[1], hi[1], w[0], w[1], normalize, scale, lam, o, from,
                        to, cuts);
            } else {
                indexed(bs, in, bot, top, tLo, tHi, bLo, bHi, w, normalize, scale, lam, o, from, to, cuts);
            }
        });
    }

    /**
     * For each model, bounds lo ≤ |δ| ≤ hi equivalent to its cut-offs over the elements [from, to), when no index
     * bound falls inside; false when one does.
     */
    private static boolean bands(Cutoffs[] cuts, long from, long to, float[] lo, float[] hi) {
        for (int m = 0; m < cuts.length; m++) {
            Cutoffs c = cuts[m];
            Boolean topIn = within(c.tLo(), c.tHi(), from, to);
            Boolean botIn = within(c.bLo(), c.bHi(), from, to);
            if (topIn == null || botIn == null) {
                return false;
            }
            // |δ| == vTop kept (or not) throughout; |δ| == vBot likewise, unless it is vTop (the top run decides)
            boolean lowIn = c.vBot() == c.vTop() ? topIn : botIn;
            hi[m] = topIn ? c.vTop() : Math.nextDown(c.vTop());
            lo[m] = lowIn ? c.vBot() : Math.nextUp(c.vBot());
        }
        return true;
    }

    /** Whether [from, to) lies inside [lo, hi) (true), outside it (false), or across a bound (null). */
    private static Boolean within(int lo, int hi, long from, long to) {
        if (lo >= hi || to <= lo || from >= hi) {
            return false;
        }
        return from >= lo && to <= hi ? true : null;
    }

    /**
     * Two models (ties' usual case) over elements [from, to) where each keeps exactly {@code lo ≤ |δ| ≤ hi} (no NaN
     * |δ| is kept): two compares per model instead of {@link #indexed}'s index tests, and each model's
     * {@code round(δ·keep·W)} computed once and kept in a register for the agreeing sums.
     */
    private static void banded2(MemorySegment bs, MemorySegment x0, MemorySegment x1, float lo0, float hi0,
                                float lo1, float hi1, float w0, float w1, boolean normalize, boolean scale, float lam,
                                MemorySegment o, long from, long to, Cutoffs[] cuts) {
        long i = from;
        FloatVector one = FloatVector.broadcast(F, 1f);
        FloatVector zero = FloatVector.zero(F);
        for (; i + L <= to; i += L) {
            FloatVector bv = ((IntVector) ShortVector.fromMemorySegment(H, bs, 2 * i, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            IntVector xh = (IntVector) ShortVector.fromMemorySegment(H, x0, 2 * i, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
            IntVector dl = xh.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().sub(bv).reinterpretAsInts();
            dl = dl.add(0x7FFF).add(dl.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xFFFF_0000);
            FloatVector d = dl.reinterpretAsFloats();
            FloatVector a = d.abs();
            VectorMask<Float> keep = a.compare(VectorOperators.GE, lo0).and(a.compare(VectorOperators.LE, hi0));
            IntVector p = d.mul(zero.blend(one, keep)).mul(w0).reinterpretAsInts();
            p = p.add(0x7FFF).add(p.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xFFFF_0000);
            FloatVector wd0 = p.reinterpretAsFloats();
            xh = (IntVector) ShortVector.fromMemorySegment(H, x1, 2 * i, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
            dl = xh.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().sub(bv).reinterpretAsInts();
            dl = dl.add(0x7FFF).add(dl.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xFFFF_0000);
            d = dl.reinterpretAsFloats();
            a = d.abs();
            keep = a.compare(VectorOperators.GE, lo1).and(a.compare(VectorOperators.LE, hi1));
            p = d.mul(zero.blend(one, keep)).mul(w1).reinterpretAsInts();
            p = p.add(0x7FFF).add(p.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xFFFF_0000);
            FloatVector wd1 = p.reinterpretAsFloats();
            IntVector rv = zero.add(wd0).add(wd1).reinterpretAsInts();
            rv = rv.add(0x7FFF).add(rv.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xFFFF_0000);
            VectorMask<Float> pos = rv.reinterpretAsFloats().compare(VectorOperators.GE, 0f);
            VectorMask<Float> agree0 = pos.and(wd0.compare(VectorOperators.GT, 0f))
                    .or(pos.not().and(wd0.compare(VectorOperators.LT, 0f)));
            VectorMask<Float> agree1 = pos.and(wd1.compare(VectorOperators.GT, 0f))
                    .or(pos.not().and(wd1.compare(VectorOperators.LT, 0f)));
            FloatVector mixed = zero.add(zero.blend(wd0, agree0)).add(zero.blend(wd1, agree1));
            FloatVector div = zero.add(zero.blend(w0, agree0)).add(zero.blend(w1, agree1));
            IntVector mv = mixed.reinterpretAsInts();
            mv = mv.add(0x7FFF).add(mv.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xFFFF_0000);
            if (normalize) {
                IntVector dv = div.reinterpretAsInts();
                dv = dv.add(0x7FFF).add(dv.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xFFFF_0000);
                FloatVector dvf = dv.reinterpretAsFloats();
                dvf = dvf.blend(one, dvf.compare(VectorOperators.EQ, 0f));
                mv = mv.reinterpretAsFloats().div(dvf).reinterpretAsInts();
                mv = mv.add(0x7FFF).add(mv.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xFFFF_0000);
            }
            if (scale) {
                mv = mv.reinterpretAsFloats().mul(lam).reinterpretAsInts();
                mv = mv.add(0x7FFF).add(mv.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xFFFF_0000);
            }
            IntVector r = bv.add(mv.reinterpretAsFloats()).reinterpretAsInts();
            VectorMask<Integer> nan = r.and(0x7FFF_FFFF).compare(VectorOperators.GT, 0x7F80_0000);
            // round to bf16 and encode in one step: the encoding of RNE(r) is (r + 0x7FFF + lsb) >>> 16
            IntVector high = r.lanewise(VectorOperators.LSHR, 16);
            IntVector enc = r.add(high.and(1)).add(0x7FFF).lanewise(VectorOperators.LSHR, 16);
            ((ShortVector) enc.blend(high.or(0x40), nan).convertShape(VectorOperators.I2S, H, 0))
                    .intoMemorySegment(o, 2 * i, LE);
        }
        tail(bs, new MemorySegment[] {x0, x1}, cuts, new float[] {w0, w1}, normalize, scale, lam, o, i, to);
    }

    /** The elements [from, to), each model's decisions with the element indices of its runs of equal cut-offs. */
    private static void indexed(MemorySegment bs, MemorySegment[] in, float[] bot, float[] top, int[] tLo, int[] tHi,
                                int[] bLo, int[] bHi, float[] w, boolean normalize, boolean scale, float lam,
                                MemorySegment o, long from, long to, Cutoffs[] cuts) {
        int k = in.length;
        long i = from;
        FloatVector one = FloatVector.broadcast(F, 1f);
        FloatVector zero = FloatVector.zero(F);
        IntVector iota = IntVector.zero(I).addIndex(1);
        for (; i + L <= to; i += L) {
            FloatVector bv = ((IntVector) ShortVector.fromMemorySegment(H, bs, 2 * i, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            IntVector idx = iota.add((int) i);
            FloatVector vote = zero;
            for (int m = 0; m < k; m++) {
                IntVector xh = (IntVector) ShortVector.fromMemorySegment(H, in[m], 2 * i, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
                IntVector dl = xh.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().sub(bv)
                        .reinterpretAsInts();
                dl = dl.add(0x7FFF).add(dl.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xFFFF_0000);
                FloatVector d = dl.reinterpretAsFloats();
                FloatVector a = d.abs();
                VectorMask<Float> eqTop = a.compare(VectorOperators.EQ, top[m]);
                VectorMask<Float> keep = a.compare(VectorOperators.GT, bot[m])
                        .and(a.compare(VectorOperators.LT, top[m]))
                        .or(eqTop.and(idx.compare(VectorOperators.GE, tLo[m])
                                .and(idx.compare(VectorOperators.LT, tHi[m])).cast(F)))
                        .or(a.compare(VectorOperators.EQ, bot[m]).andNot(eqTop)
                                .and(idx.compare(VectorOperators.GE, bLo[m])
                                        .and(idx.compare(VectorOperators.LT, bHi[m])).cast(F)));
                IntVector p = d.mul(zero.blend(one, keep)).mul(w[m]).reinterpretAsInts();
                p = p.add(0x7FFF).add(p.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xFFFF_0000);
                vote = vote.add(p.reinterpretAsFloats());
            }
            IntVector rv = vote.reinterpretAsInts();
            rv = rv.add(0x7FFF).add(rv.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xFFFF_0000);
            VectorMask<Float> pos = rv.reinterpretAsFloats().compare(VectorOperators.GE, 0f);
            FloatVector mixed = zero;
            FloatVector div = zero;
            for (int m = 0; m < k; m++) {
                // wd_m again, exactly as above
                IntVector xh = (IntVector) ShortVector.fromMemorySegment(H, in[m], 2 * i, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
                IntVector dl = xh.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().sub(bv)
                        .reinterpretAsInts();
                dl = dl.add(0x7FFF).add(dl.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xFFFF_0000);
                FloatVector d = dl.reinterpretAsFloats();
                FloatVector a = d.abs();
                VectorMask<Float> eqTop = a.compare(VectorOperators.EQ, top[m]);
                VectorMask<Float> keep = a.compare(VectorOperators.GT, bot[m])
                        .and(a.compare(VectorOperators.LT, top[m]))
                        .or(eqTop.and(idx.compare(VectorOperators.GE, tLo[m])
                                .and(idx.compare(VectorOperators.LT, tHi[m])).cast(F)))
                        .or(a.compare(VectorOperators.EQ, bot[m]).andNot(eqTop)
                                .and(idx.compare(VectorOperators.GE, bLo[m])
                                        .and(idx.compare(VectorOperators.LT, bHi[m])).cast(F)));
                IntVector p = d.mul(zero.blend(one, keep)).mul(w[m]).reinterpretAsInts();
                p = p.add(0x7FFF).add(p.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xFFFF_0000);
                FloatVector wd = p.reinterpretAsFloats();
                VectorMask<Float> agree = pos.and(wd.compare(VectorOperators.GT, 0f))
                        .or(pos.not().and(wd.compare(VectorOperators.LT, 0f)));
                mixed = mixed.add(zero.blend(wd, agree));
                div = div.add(zero.blend(w[m], agree));
            }
            IntVector mv = mixed.reinterpretAsInts();
            mv = mv.add(0x7FFF).add(mv.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xFFFF_0000);
            if (normalize) {
                IntVector dv = div.reinterpretAsInts();
                dv = dv.add(0x7FFF).add(dv.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xFFFF_0000);
                FloatVector dvf = dv.reinterpretAsFloats();
                dvf = dvf.blend(one, dvf.compare(VectorOperators.EQ, 0f));
                mv = mv.reinterpretAsFloats().div(dvf).reinterpretAsInts();
                mv = mv.add(0x7FFF).add(mv.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xFFFF_0000);
            }
            if (scale) {
                mv = mv.reinterpretAsFloats().mul(lam).reinterpretAsInts();
                mv = mv.add(0x7FFF).add(mv.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xFFFF_0000);
            }
            IntVector r = bv.add(mv.reinterpretAsFloats()).reinterpretAsInts();
            VectorMask<Integer> nan = r.and(0x7FFF_FFFF).compare(VectorOperators.GT, 0x7F80_0000);
            // round to bf16 and encode in one step: the encoding of RNE(r) is (r + 0x7FFF + lsb) >>> 16
            IntVector high = r.lanewise(VectorOperators.LSHR, 16);
            IntVector enc = r.add(high.and(1)).add(0x7FFF).lanewise(VectorOperators.LSHR, 16);
            ((ShortVector) enc.blend(high.or(0x40), nan).convertShape(VectorOperators.I2S, H, 0))
                    .intoMemorySegment(o, 2 * i, LE);
        }
        tail(bs, in, cuts, w, normalize, scale, lam, o, i, to);
    }

    /** The elements [i, to) one at a time (fewer than a vector's lanes at the end of a task). */
    private static void tail(MemorySegment bs, MemorySegment[] in, Cutoffs[] cuts, float[] w, boolean normalize,
                             boolean scale, float lam, MemorySegment o, long i, long to) {
        int k = in.length;
        for (; i < to; i++) {
            float bsc = FloatFormats.bf16ToFloat(bs.get(I16, 2 * i));
            float vote = 0f;
            for (int m = 0; m < k; m++) {
                vote += weighted(in[m], bsc, cuts[m], w[m], i);
            }
            boolean pos = Numerics.bf16(vote) >= 0f;
            float mixed = 0f;
            float div = 0f;
            for (int m = 0; m < k; m++) {
                float wd = weighted(in[m], bsc, cuts[m], w[m], i);
                boolean agree = pos ? wd > 0f : wd < 0f;
                mixed += agree ? wd : 0f;
                div += agree ? w[m] : 0f;
            }
            float mv = Numerics.bf16(mixed);
            if (normalize) {
                float dv = Numerics.bf16(div);
                mv = Numerics.bf16(mv / (dv == 0f ? 1f : dv));
            }
            if (scale) {
                mv = Numerics.bf16(mv * lam);
            }
            o.set(I16, 2 * i, FloatFormats.floatToBf16(Numerics.bf16(bsc + mv)));
        }
    }

    /** round(δ·keep·w) of element i for one model, one element at a time (the tail of a task). */
    private static float weighted(MemorySegment x, float b, Cutoffs cut, float w, long i) {
        float d = Numerics.bf16(FloatFormats.bf16ToFloat(x.get(I16, 2 * i)) - b);
        float pruned = d * (cut.keeps(Math.abs(d), (int) i) ? 1f : 0f);
        return Numerics.round(DType.BF16, pruned * w);
    }
}
