package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.FloatFormats;
import dev.evomerge.core.tensor.RowBlockTarget;
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

import static dev.evomerge.core.tensor.NativeMemory.ALL;

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
     * lam when scale, added to the base. When {@code rows} is not null, the merged rows go to it a block at a
     * time instead of into {@code out} (see {@link StreamKernels#forTasks(Tensor, RowBlockTarget,
     * StreamKernels.Task)}); every NaN stored is quiet (an arithmetic result), as it requires.
     */
    static void merge(Tensor b, List<Tensor> xs, Cutoffs[] cuts, float[] w, boolean normalize, boolean scale,
                      float lam, Tensor out, RowBlockTarget rows) {
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
        // decided once per tensor, not per task: the two-model loop multiplies by the divisors' reciprocals
        boolean paired = k == 2 && finite(w) && (!normalize || reciprocalIsExact(w[0], w[1]));
        StreamKernels.forTasks(out, rows, (from, to, block, shift) -> {
            // the kernels store element i at element i of o: for a block of rows that starts at element shift,
            // a view whose element shift is the block's first (only [from, to) is ever stored)
            MemorySegment o = shift == 0 ? block : MemorySegment.ofAddress(block.address() - 2 * shift)
                    .reinterpret(2 * to);
            if (paired) {
                // ties' usual case: the task cut where an index bound of a run of equal cut-offs falls inside it, so
                // that over each part whether such a run is kept is the same for all of it (a band test only)
                long s = from;
                for (long cut : splits(cuts, from, to)) {
                    pair(bs, in[0], in[1], cuts, w, normalize, scale, lam, o, s, cut);
                    s = cut;
                }
                pair(bs, in[0], in[1], cuts, w, normalize, scale, lam, o, s, to);
            } else {
                indexed(bs, in, bot, top, tLo, tHi, bLo, bHi, w, normalize, scale, lam, o, from, to, cuts);
            }
        });
    }

    private static boolean finite(float[] w) {
        for (float v : w) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    /** The index bounds of every model's runs of equal cut-offs strictly inside (from, to), ascending. */
    private static long[] splits(Cutoffs[] cuts, long from, long to) {
        long[] at = new long[4 * cuts.length];
        int j = 0;
        for (Cutoffs c : cuts) {
            for (int bound : new int[] {c.tLo(), c.tHi(), c.bLo(), c.bHi()}) {
                if (bound > from && bound < to) {
                    at[j++] = bound;
                }
            }
        }
        long[] sorted = java.util.Arrays.copyOf(at, j);
        java.util.Arrays.sort(sorted);
        return sorted;
    }

    /** Two models over [from, to), a range that no index bound of their cut-offs crosses. */
    private static void pair(MemorySegment bs, MemorySegment x0, MemorySegment x1, Cutoffs[] cuts, float[] w,
                             boolean normalize, boolean scale, float lam, MemorySegment o, long from, long to) {
        if (from >= to) {
            return;
        }
        float[] lo = new float[2];
        float[] hi = new float[2];
        if (!bands(cuts, from, to, lo, hi)) {
            throw new IllegalStateException("an index bound inside [" + from + ", " + to + ")");
        }
        if (to - from < 2L * L) {
            // too short for one step of the vector loop; kept out of it, whose compiled code assumes (from what it
            // has seen) that it runs at least once and is thrown away when it does not
            tail(bs, new MemorySegment[] {x0, x1}, cuts, w, normalize, scale, lam, o, from, to);
            return;
        }
        Band b0 = Band.of(lo[0], hi[0]);
        Band b1 = Band.of(lo[1], hi[1]);
        banded2(bs, x0, x1, b0.lo(), b0.span(), b1.lo(), b1.span(), w[0], w[1], normalize, scale, lam, o, from, to,
                cuts);
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
     * {@code lo ≤ |δ| ≤ hi} (floats) as one unsigned test on the bits of |δ|: {@code (bits - lo) ≤ span}. Non-negative
     * floats order as their bits do, and a NaN |δ| (bits above +inf's) is above any hi, as in the float test; an
     * empty band is lo = -1, span 0 (bits + 1 is never 0).
     */
    record Band(int lo, int span) {

        static Band of(float lo, float hi) {
            if (Float.isNaN(lo) || Float.isNaN(hi) || hi < 0f) {
                return new Band(-1, 0);
            }
            int l = lo > 0f ? Float.floatToRawIntBits(lo) : 0; // |δ| ≥ 0 ≥ lo always holds
            int h = Float.floatToRawIntBits(hi) & 0x7FFF_FFFF; // hi = -0 is 0: |δ| ≤ -0 holds for |δ| = +0
            return l > h ? new Band(-1, 0) : new Band(l, h - l);
        }
    }

    /** The bf16 rounding of a float32 (low 16 bits cleared), as the vector loop does it: no NaN test. */
    private static float rounded(float v) {
        int t = Float.floatToRawIntBits(v);
        return Float.intBitsToFloat(t + 0x7FFF + (t >>> 16 & 1) & 0xFFFF_0000);
    }

    /**
     * The divisor of normalize where the agreeing models are those of {@code agree0} and {@code agree1}: the rounded
     * sum of their weights, 1 where it is 0; the same float ops and order as the piece path's per-element sum.
     */
    private static float divisor(float w0, float w1, boolean agree0, boolean agree1) {
        float d = rounded(0f + (agree0 ? w0 : 0f) + (agree1 ? w1 : 0f));
        return d == 0f ? 1f : d;
    }

    /**
     * Whether normalize's {@code round(mv / d)} equals {@code round(mv · RN(1/d))} for every float mv, so that the
     * two-model loop ({@link #banded2}) multiplies where a division took a fifth of its time: true when each divisor
     * d (a rounded sum of the weights, 1 for 0) is a normal float, whose reciprocal is then finite, nonzero and
     * good to at least 21 bits (subnormal only past 2^126). Else the merge takes the element loop, which divides.
     *
     * <p>Why: mv and d are bf16 values, M·2^a and D·2^b with M, D odd and below 2^8, and the bf16 rounding of a
     * float changes only at the midpoints between bf16 values, P·2^c with P odd. A normal midpoint has 2^8 &lt; P
     * &lt; 2^9, so mv/d is never one (M·2^a = D·P·2^(b+c) would need the odd M &lt; 2^8 to equal the odd D·P
     * &gt; 2^8), and the numerator of mv/d - midpoint, a nonzero multiple of 2^min(a, b+c), keeps the quotient at
     * least 2^-17 of itself from every midpoint, 64 float32 ulps; RN(mv/d) and RN(mv·RN(1/d)) are both within 2
     * ulps of mv/d (relative error 2^-24 per step, 2^-21 for a subnormal reciprocal: 8 ulps), so they round to
     * the same bf16, infinity (past the last midpoint) included. Where mv/d is subnormal both are within 2^-147 of
     * it, and it is either at least 2^-142 from every midpoint (odd multiples of 2^-134) or below 2^-139, far under
     * the smallest. A NaN, infinite or zero mv gives the same NaN, infinity or zero either way.
     * {@code TiesStreamReciprocalTest} checks every bf16 mv against 6000 divisors across the normal range, and that a
     * subnormal divisor (reciprocal infinite) breaks it.
     */
    static boolean reciprocalIsExact(float w0, float w1) {
        for (boolean[] agree : new boolean[][] {{true, false}, {false, true}, {true, true}}) {
            float d = Math.abs(divisor(w0, w1, agree[0], agree[1]));
            if (!(d >= Float.MIN_NORMAL && d <= Float.MAX_VALUE)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Two models (ties' usual case) over elements [from, to) where model m keeps exactly the |δ| whose bits b satisfy
     * {@code (b - lo_m) ≤ span_m} unsigned ({@link Band}), two bf16 vectors' worth (2L elements) per step.
     *
     * <p>Each step reads L ints of every input: the low halves are the elements at even offsets, the high halves those
     * at odd offsets, and each half is widened with one shift or mask (no widening conversion, no narrowing one when
     * storing: the two halves' encodings are put together into ints again). Per element, with the piece path's values
     * bit for bit ({@link GtaMethod#combinePiece} with consensus):
     * <ul>
     * <li>{@code wd = round(δ · (kept ? w : 0))}: the piece path's {@code round((δ·keep)·w)} for a finite w but the
     * sign of a zero (δ·0·w is ±0, or NaN for an infinite or NaN δ, as δ·0 is), and no sign of a zero is ever read
     * below;</li>
     * <li>the vote is the sign of {@code wd0 + wd1}, not of its rounding: a sum of two bf16 values that is not 0 is at
     * least the smallest bf16 subnormal in magnitude, so rounding keeps its sign (and -0 ≥ 0 as +0 is);</li>
     * <li>agreeing is {@code (wd XOR flip) > 0} with flip the sign bit where the vote is negative (or NaN): wd > 0 for
     * a non-negative vote, wd < 0 otherwise;</li>
     * <li>the sum of the agreeing weights takes four values, rounded and with 0 made 1 before the loop
     * ({@link #divisor}); their reciprocals are picked per lane and multiplied, which rounds to the division's bf16
     * (the merge comes here only when {@link #reciprocalIsExact} holds);</li>
     * <li>the final rounding needs no NaN test: base + mixed is an arithmetic result, so a NaN is already quiet with
     * its low 16 bits zero, and {@link dev.evomerge.core.tensor.FloatFormats#floatToBf16} leaves it as it is.</li>
     * </ul>
     */
    private static void banded2(MemorySegment bs, MemorySegment x0, MemorySegment x1, int lo0, int span0, int lo1,
                                int span1, float w0, float w1, boolean normalize, boolean scale, float lam,
                                MemorySegment o, long from, long to, Cutoffs[] cuts) {
        // addresses of element from of each, read and written through NativeMemory.ALL (whose exact class C2 knows
        // whatever else used the JDK's memory access), so that the loop counts in ints from 0 (C2's plainest loop)
        int len = Math.toIntExact(to - from);
        long b = StreamKernels.address(bs, from, to) + 2 * from;
        long y0 = StreamKernels.address(x0, from, to) + 2 * from;
        long y1 = StreamKernels.address(x1, from, to) + 2 * from;
        long out = StreamKernels.address(o, from, to) + 2 * from;
        FloatVector zero = FloatVector.zero(F);
        FloatVector wv0 = FloatVector.broadcast(F, w0);
        FloatVector wv1 = FloatVector.broadcast(F, w1);
        // the divisors' reciprocals: multiplying by them rounds to the division's bf16 (reciprocalIsExact)
        FloatVector c0 = FloatVector.broadcast(F, 1f / divisor(w0, w1, true, false));
        FloatVector c1 = FloatVector.broadcast(F, 1f / divisor(w0, w1, false, true));
        FloatVector c01 = FloatVector.broadcast(F, 1f / divisor(w0, w1, true, true));
        FloatVector one = FloatVector.broadcast(F, 1f);
        IntVector sign = IntVector.broadcast(I, 0x8000_0000);
        IntVector none = IntVector.zero(I);
        int j = 0;
        for (; j <= len - 2 * L; j += 2 * L) {
            IntVector bp = IntVector.fromMemorySegment(I, ALL, b + 2L * j, LE);
            IntVector xp0 = IntVector.fromMemorySegment(I, ALL, y0 + 2L * j, LE);
            IntVector xp1 = IntVector.fromMemorySegment(I, ALL, y1 + 2L * j, LE);
            IntVector enc = none;
            // h = 0: the elements at even offsets (low halves, moved up by 16 bits); h = 1: those at odd offsets
            // (high halves, as they are). One loop body, not two copies: C2 then parses half the vector calls, well
            // inside the limits on inlining (past them a call is not inlined and its vectors are boxed)
            for (int h = 0; h < 2; h++) {
                int up = 16 - 16 * h;
                FloatVector bv = bp.lanewise(VectorOperators.LSHL, up).and(0xFFFF_0000).reinterpretAsFloats();
                IntVector t = xp0.lanewise(VectorOperators.LSHL, up).and(0xFFFF_0000).reinterpretAsFloats().sub(bv)
                        .reinterpretAsInts();
                t = t.add(t.lanewise(VectorOperators.LSHR, 16).and(1)).add(0x7FFF);
                FloatVector wd0 = t.and(0xFFFF_0000).reinterpretAsFloats().mul(zero.blend(wv0,
                        t.and(0x7FFF_0000).sub(lo0).compare(VectorOperators.ULE, span0).cast(F)));
                t = wd0.reinterpretAsInts();
                IntVector r0 = t.add(t.lanewise(VectorOperators.LSHR, 16).and(1)).add(0x7FFF).and(0xFFFF_0000);
                t = xp1.lanewise(VectorOperators.LSHL, up).and(0xFFFF_0000).reinterpretAsFloats().sub(bv)
                        .reinterpretAsInts();
                t = t.add(t.lanewise(VectorOperators.LSHR, 16).and(1)).add(0x7FFF);
                FloatVector wd1 = t.and(0xFFFF_0000).reinterpretAsFloats().mul(zero.blend(wv1,
                        t.and(0x7FFF_0000).sub(lo1).compare(VectorOperators.ULE, span1).cast(F)));
                t = wd1.reinterpretAsInts();
                IntVector r1 = t.add(t.lanewise(VectorOperators.LSHR, 16).and(1)).add(0x7FFF).and(0xFFFF_0000);
                VectorMask<Float> pos = r0.reinterpretAsFloats().add(r1.reinterpretAsFloats())
                        .compare(VectorOperators.GE, 0f);
                IntVector flip = sign.blend(none, pos.cast(I));
                VectorMask<Float> agree0 = r0.lanewise(VectorOperators.XOR, flip).reinterpretAsFloats()
                        .compare(VectorOperators.GT, 0f);
                VectorMask<Float> agree1 = r1.lanewise(VectorOperators.XOR, flip).reinterpretAsFloats()
                        .compare(VectorOperators.GT, 0f);
                t = zero.blend(r0.reinterpretAsFloats(), agree0)
                        .lanewise(VectorOperators.ADD, r1.reinterpretAsFloats(), agree1).reinterpretAsInts();
                IntVector mv = t.add(t.lanewise(VectorOperators.LSHR, 16).and(1)).add(0x7FFF).and(0xFFFF_0000);
                if (normalize) {
                    FloatVector reciprocal = one.blend(c1, agree1).blend(c0, agree0).blend(c01, agree0.and(agree1));
                    t = mv.reinterpretAsFloats().mul(reciprocal).reinterpretAsInts();
                    mv = t.add(t.lanewise(VectorOperators.LSHR, 16).and(1)).add(0x7FFF).and(0xFFFF_0000);
                }
                if (scale) {
                    t = mv.reinterpretAsFloats().mul(lam).reinterpretAsInts();
                    mv = t.add(t.lanewise(VectorOperators.LSHR, 16).and(1)).add(0x7FFF).and(0xFFFF_0000);
                }
                // round to bf16 and put the encoding into its half: the encoding of RNE(r) is (r + 0x7FFF + lsb)
                // >>> 16
                t = bv.add(mv.reinterpretAsFloats()).reinterpretAsInts();
                enc = enc.or(t.add(t.lanewise(VectorOperators.LSHR, 16).and(1)).add(0x7FFF).and(0xFFFF_0000)
                        .lanewise(VectorOperators.LSHR, up));
            }
            enc.intoMemorySegment(ALL, out + 2L * j, LE);
        }
        tail(bs, new MemorySegment[] {x0, x1}, cuts, new float[] {w0, w1}, normalize, scale, lam, o, from + j, to);
    }

    /** The elements [from, to), each model's decisions with the element indices of its runs of equal cut-offs. */
    private static void indexed(MemorySegment bs, MemorySegment[] in, float[] bot, float[] top, int[] tLo, int[] tHi,
                                int[] bLo, int[] bHi, float[] w, boolean normalize, boolean scale, float lam,
                                MemorySegment o, long from, long to, Cutoffs[] cuts) {
        int k = in.length;
        long i = from;
        // read and written through NativeMemory.ALL at the addresses of element 0
        long ba = StreamKernels.address(bs, from, to);
        long[] xa = new long[k];
        for (int m = 0; m < k; m++) {
            xa[m] = StreamKernels.address(in[m], from, to);
        }
        long oa = StreamKernels.address(o, from, to);
        FloatVector one = FloatVector.broadcast(F, 1f);
        FloatVector zero = FloatVector.zero(F);
        IntVector iota = IntVector.zero(I).addIndex(1);
        for (; i + L <= to; i += L) {
            FloatVector bv = ((IntVector) ShortVector.fromMemorySegment(H, ALL, ba + 2 * i, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            IntVector idx = iota.add((int) i);
            FloatVector vote = zero;
            for (int m = 0; m < k; m++) {
                IntVector xh = (IntVector) ShortVector.fromMemorySegment(H, ALL, xa[m] + 2 * i, LE)
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
                IntVector xh = (IntVector) ShortVector.fromMemorySegment(H, ALL, xa[m] + 2 * i, LE)
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
                    .intoMemorySegment(ALL, oa + 2 * i, LE);
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
