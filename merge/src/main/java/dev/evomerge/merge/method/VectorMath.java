package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.DType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API versions of the element-wise steps of the hot methods, with the same per-op rounding as
 * {@link Numerics#round} (float32 op, then round to bf16; fp16 falls back to scalar loops). Multiplies and adds stay
 * separate operations (no fused multiply-add), so results are bit-identical to the scalar code.
 */
final class VectorMath {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private VectorMath() {
    }

    /** Whether dtype d has a vector path (f32 and bf16). */
    static boolean vectorised(DType d) {
        return d != DType.F16;
    }

    /**
     * v rounded to dtype d lane-wise: bf16 round to nearest even with NaN lanes unchanged, f32 unchanged. Without a
     * branch: a vector chosen by a branch reaches its use through a phi, and C2 then allocates a box for it on every
     * call. The NaN test is on the bits (an integer compare): the float IS_NAN test is not intrinsified everywhere and
     * then allocates a mask and a vector per call.
     */
    static FloatVector round(DType d, FloatVector v) {
        IntVector bits = v.reinterpretAsInts();
        IntVector r = bits.add(0x7FFF).add(bits.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xFFFF_0000);
        VectorMask<Integer> keep = bits.and(0x7FFF_FFFF).compare(VectorOperators.GT, 0x7F80_0000)
                .or(bits.species().maskAll(d != DType.BF16));
        return r.blend(bits, keep).reinterpretAsFloats();
    }

    /** acc[ao..] += round(src[so..]·w) over len elements (acc holds a float32 running sum). */
    static void addScaled(DType d, float[] acc, int ao, float[] src, int so, float w, int len) {
        int j = 0;
        if (vectorised(d)) {
            FloatVector wv = FloatVector.broadcast(S, w);
            for (; j < S.loopBound(len); j += S.length()) {
                FloatVector p = round(d, FloatVector.fromArray(S, src, so + j).mul(wv));
                FloatVector.fromArray(S, acc, ao + j).add(p).intoArray(acc, ao + j);
            }
        }
        for (; j < len; j++) {
            acc[ao + j] += Numerics.round(d, src[so + j] * w);
        }
    }

    /** dst[do..] = round(src[so..]·w); also vote[vo..] += that value. */
    static void scaleAndVote(DType d, float[] dst, int dOff, float[] src, int so, float w, float[] vote, int len) {
        int j = 0;
        if (vectorised(d)) {
            FloatVector wv = FloatVector.broadcast(S, w);
            for (; j < S.loopBound(len); j += S.length()) {
                FloatVector p = round(d, FloatVector.fromArray(S, src, so + j).mul(wv));
                p.intoArray(dst, dOff + j);
                FloatVector.fromArray(S, vote, j).add(p).intoArray(vote, j);
            }
        }
        for (; j < len; j++) {
            float p = Numerics.round(d, src[so + j] * w);
            dst[dOff + j] = p;
            vote[j] += p;
        }
    }

    /**
     * For each j: keep = (round(vote[j]) ≥ 0 ? wd[j] > 0 : wd[j] < 0); mixed[j] += keep ? wd[j] : 0;
     * div[j] += keep ? w : 0. Adding +0 instead of torch's signed zero never changes a sum that starts at +0.
     */
    static void agreeing(DType d, float[] wd, float[] vote, float w, float[] mixed, float[] div, int len) {
        int j = 0;
        if (vectorised(d)) {
            FloatVector zero = FloatVector.zero(S);
            FloatVector wv = FloatVector.broadcast(S, w);
            for (; j < S.loopBound(len); j += S.length()) {
                FloatVector v = FloatVector.fromArray(S, wd, j);
                VectorMask<Float> pos = round(d, FloatVector.fromArray(S, vote, j)).compare(VectorOperators.GE, 0f);
                VectorMask<Float> keep = pos.and(v.compare(VectorOperators.GT, 0f))
                        .or(pos.not().and(v.compare(VectorOperators.LT, 0f)));
                FloatVector.fromArray(S, mixed, j).add(zero.blend(v, keep)).intoArray(mixed, j);
                FloatVector.fromArray(S, div, j).add(zero.blend(wv, keep)).intoArray(div, j);
            }
        }
        for (; j < len; j++) {
            float v = wd[j];
            boolean keep = Numerics.round(d, vote[j]) >= 0f ? v > 0f : v < 0f;
            mixed[j] += keep ? v : 0f;
            div[j] += keep ? w : 0f;
        }
    }

    /**
     * The tail shared by the GTA family: out[oo+j] = round(b + m) where m = round(mixed[j]), divided by the rounded
     * divisor (or the scalar divisor when div is null; 0 → 1 for per-element divisors) if normalize, then times lambda.
     * mixed is overwritten.
     */
    static void finish(DType d, float[] out, float[] b, int oo, float[] mixed, float[] div, float scalarDiv,
                       boolean normalize, boolean scale, float lam, int len) {
        int j = 0;
        if (vectorised(d)) {
            // One small method per step, each a pass over mixed in place: a vector updated under a condition inside
            // one loop reaches its use through a phi, and in a large method C2 stops inlining the rounding helper;
            // either way the vector is boxed, an allocation per iteration (gigabytes per merge).
            j = S.loopBound(len);
            roundAll(d, mixed, j);
            if (normalize && div != null) {
                divideByVotes(d, mixed, div, j);
            } else if (normalize) {
                divideAll(d, mixed, scalarDiv, j);
            }
            if (scale) {
                multiplyAll(d, mixed, lam, j);
            }
            addBase(d, out, b, oo, mixed, j);
        }
        for (; j < len; j++) {
            float m = Numerics.round(d, mixed[j]);
            if (normalize) {
                float dv;
                if (div != null) {
                    dv = Numerics.round(d, div[j]);
                    dv = dv == 0f ? 1f : dv;
                } else {
                    dv = scalarDiv;
                }
                m = Numerics.round(d, m / dv);
            }
            if (scale) {
                m = Numerics.round(d, m * lam);
            }
            out[oo + j] = Numerics.round(d, b[oo + j] + m);
        }
    }

    /** a[0..bound) = round(a). */
    private static void roundAll(DType d, float[] a, int bound) {
        for (int i = 0; i < bound; i += S.length()) {
            round(d, FloatVector.fromArray(S, a, i)).intoArray(a, i);
        }
    }

    /** a[0..bound) = round(a / dv) with dv = round(div), 0 taken as 1. */
    private static void divideByVotes(DType d, float[] a, float[] div, int bound) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (int i = 0; i < bound; i += S.length()) {
            FloatVector dv = round(d, FloatVector.fromArray(S, div, i));
            dv = dv.blend(one, dv.compare(VectorOperators.EQ, 0f));
            round(d, FloatVector.fromArray(S, a, i).div(dv)).intoArray(a, i);
        }
    }

    /** a[0..bound) = round(a / divisor). */
    private static void divideAll(DType d, float[] a, float divisor, int bound) {
        FloatVector dv = FloatVector.broadcast(S, divisor);
        for (int i = 0; i < bound; i += S.length()) {
            round(d, FloatVector.fromArray(S, a, i).div(dv)).intoArray(a, i);
        }
    }

    /** a[0..bound) = round(a · factor). */
    private static void multiplyAll(DType d, float[] a, float factor, int bound) {
        for (int i = 0; i < bound; i += S.length()) {
            round(d, FloatVector.fromArray(S, a, i).mul(factor)).intoArray(a, i);
        }
    }

    /** out[oo..oo+bound) = round(b[oo..] + m[0..bound)). */
    private static void addBase(DType d, float[] out, float[] b, int oo, float[] m, int bound) {
        for (int i = 0; i < bound; i += S.length()) {
            round(d, FloatVector.fromArray(S, b, oo + i).add(FloatVector.fromArray(S, m, i))).intoArray(out, oo + i);
        }
    }

    /** a[off..] = round(a[off..]), then round(a / den) when divide. */
    static void roundAndDivide(DType d, float[] a, int off, int len, boolean divide, float den) {
        int j = 0;
        if (vectorised(d)) {
            for (; j < S.loopBound(len); j += S.length()) {
                FloatVector v = round(d, FloatVector.fromArray(S, a, off + j));
                if (divide) {
                    v = round(d, v.div(den));
                }
                v.intoArray(a, off + j);
            }
        }
        for (; j < len; j++) {
            float v = Numerics.round(d, a[off + j]);
            if (divide) {
                v = Numerics.round(d, v / den);
            }
            a[off + j] = v;
        }
    }

    /** dst[off..] = round(x[..] - b[..]) for the piece. */
    static void subtract(DType d, float[] dst, int off, float[] x, int xo, float[] b, int bo, int len) {
        int j = 0;
        if (vectorised(d)) {
            for (; j < S.loopBound(len); j += S.length()) {
                round(d, FloatVector.fromArray(S, x, xo + j).sub(FloatVector.fromArray(S, b, bo + j)))
                        .intoArray(dst, off + j);
            }
        }
        for (; j < len; j++) {
            dst[off + j] = Numerics.round(d, x[xo + j] - b[bo + j]);
        }
    }

    /** out[off+j] = δ·(lo ≤ |δ| ≤ hi ? 1 : 0) for the piece (a float multiply, so dropped negatives give -0). */
    static void keepBand(float[] delta, float[] out, int off, int len, float lo, float hi) {
        int j = 0;
        FloatVector one = FloatVector.broadcast(S, 1f);
        FloatVector zero = FloatVector.zero(S);
        for (; j < S.loopBound(len); j += S.length()) {
            FloatVector v = FloatVector.fromArray(S, delta, off + j);
            FloatVector a = v.abs();
            VectorMask<Float> keep = a.compare(VectorOperators.GE, lo).and(a.compare(VectorOperators.LE, hi));
            v.mul(zero.blend(one, keep)).intoArray(out, off + j);
        }
        for (; j < len; j++) {
            float a = Math.abs(delta[off + j]);
            out[off + j] = delta[off + j] * (a >= lo && a <= hi ? 1f : 0f);
        }
    }
}
