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
import java.util.stream.LongStream;

/**
 * Streaming versions of linear and plain task arithmetic for bf16 and f32 tensors: the inputs are read straight from
 * their memory (usually the memory-mapped files) block by block, computed with exactly the per-op rounding of
 * {@link MergeKernels#weightedSum} and {@link GtaMethod#combineLinear} (float32 op, then round to the work dtype, in
 * the same order, no fused multiply-add), and written to the output in its dtype. Nothing but a cache-sized float
 * accumulator per block is allocated, so a merge needs no whole-tensor float copies.
 */
final class StreamKernels {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    static final boolean SIMD = F.vectorBitSize() >= 128;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Short> H = SIMD
            ? VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2)) : null;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    /** Elements per parallel task; large enough to amortise scheduling, small next to one tensor. */
    static final int TASK = 1 << 16;
    /** Elements per inner block: the float accumulator (16 KiB) and the inputs' block stay in L1/L2. */
    static final int BLOCK = 1 << 12;

    private StreamKernels() {
    }

    /** Whether the streaming kernels apply: dtype bf16 or f32 and every tensor in it, off-heap, shareable. */
    static boolean supports(DType d, List<Tensor> tensors) {
        if (!SIMD || (d != DType.BF16 && d != DType.F32)) {
            return false;
        }
        long n = tensors.get(0).numel();
        for (Tensor t : tensors) {
            if (t.dtype() != d || !t.data().isNative() || t.numel() != n) {
                return false;
            }
        }
        return true;
    }

    /**
     * linear: {@code out = round(round(Σ_k round(w_k x_k)) / den)} (the division only when normalize); the sum is a
     * float32 accumulator that starts at +0 and adds the products in input order.
     */
    static void weightedSum(DType d, List<Tensor> xs, float[] w, boolean normalize, float den, Tensor out) {
        int k = xs.size();
        MemorySegment[] in = segments(xs);
        MemorySegment o = out.data();
        boolean bf = d == DType.BF16;
        forTasks(out.numel(), (from, to) -> {
            float[] acc = new float[BLOCK];
            for (long s = from; s < to; s += BLOCK) {
                int len = (int) Math.min(BLOCK, to - s);
                java.util.Arrays.fill(acc, 0, len, 0f);
                for (int m = 0; m < k; m++) {
                    addScaled(bf, acc, in[m], s, w[m], len);
                }
                int j = 0;
                if (bf) {
                    // rounding and bf16 encoding written out in the loop (see bf16 for why there are no calls)
                    FloatVector dv = FloatVector.broadcast(F, den);
                    for (; j < F.loopBound(len); j += L) {
                        IntVector a = FloatVector.fromArray(F, acc, j).reinterpretAsInts();
                        a = a.add(0x7FFF).add(a.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xFFFF_0000)
                                .blend(a, a.and(0x7FFF_FFFF).compare(VectorOperators.GT, 0x7F80_0000));
                        if (normalize) {
                            IntVector q = a.reinterpretAsFloats().div(dv).reinterpretAsInts();
                            a = q.add(0x7FFF).add(q.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xFFFF_0000)
                                    .blend(q, q.and(0x7FFF_FFFF).compare(VectorOperators.GT, 0x7F80_0000));
                        }
                        // a is bf16-valued: its top half is the encoding, except that NaNs are made quiet
                        IntVector high = a.lanewise(VectorOperators.LSHR, 16);
                        ((ShortVector) high.blend(high.or(0x40),
                                a.and(0x7FFF_FFFF).compare(VectorOperators.GT, 0x7F80_0000))
                                .convertShape(VectorOperators.I2S, H, 0)).intoMemorySegment(o, 2 * (s + j), LE);
                    }
                } else {
                    for (; j < F.loopBound(len); j += L) {
                        FloatVector v = FloatVector.fromArray(F, acc, j);
                        if (normalize) {
                            v = v.div(den);
                        }
                        store(false, v, o, s + j);
                    }
                }
                for (; j < len; j++) {
                    float v = Numerics.round(d, acc[j]);
                    if (normalize) {
                        v = Numerics.round(d, v / den);
                    }
                    storeScalar(bf, v, o, s + j);
                }
            }
        });
    }

    /**
     * task arithmetic without sparsification or consensus: {@code δ_i = round(x_i - b)},
     * {@code mixed = Σ round(δ_i W_i)} (float32, from +0, in input order), {@code m = round(mixed)}, then
     * {@code round(m / div)} when normalize, {@code round(m λ)} when scale, and {@code out = round(b + m)}.
     */
    static void taskArithmetic(DType d, Tensor base, List<Tensor> xs, float[] w, float div, boolean normalize,
                               boolean scale, float lam, Tensor out) {
        int k = xs.size();
        MemorySegment[] in = segments(xs);
        MemorySegment b = base.data();
        MemorySegment o = out.data();
        boolean bf = d == DType.BF16;
        forTasks(out.numel(), (from, to) -> {
            float[] mixed = new float[BLOCK];
            for (long s = from; s < to; s += BLOCK) {
                int len = (int) Math.min(BLOCK, to - s);
                java.util.Arrays.fill(mixed, 0, len, 0f);
                for (int m = 0; m < k; m++) {
                    addScaledDelta(bf, mixed, in[m], b, s, w[m], len);
                }
                int j = 0;
                FloatVector dv = FloatVector.broadcast(F, div);
                FloatVector lv = FloatVector.broadcast(F, lam);
                if (bf) {
                    // the bf16 branch written out without calls (see bf16); same steps as the generic loop below
                    for (; j < F.loopBound(len); j += L) {
                        IntVector m = FloatVector.fromArray(F, mixed, j).reinterpretAsInts();
                        m = m.add(0x7FFF).add(m.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xFFFF_0000)
                                .blend(m, m.and(0x7FFF_FFFF).compare(VectorOperators.GT, 0x7F80_0000));
                        if (normalize) {
                            m = m.reinterpretAsFloats().div(dv).reinterpretAsInts();
                            m = m.add(0x7FFF).add(m.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xFFFF_0000)
                                    .blend(m, m.and(0x7FFF_FFFF).compare(VectorOperators.GT, 0x7F80_0000));
                        }
                        if (scale) {
                            m = m.reinterpretAsFloats().mul(lv).reinterpretAsInts();
                            m = m.add(0x7FFF).add(m.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xFFFF_0000)
                                    .blend(m, m.and(0x7FFF_FFFF).compare(VectorOperators.GT, 0x7F80_0000));
                        }
                        IntVector bh = (IntVector) ShortVector.fromMemorySegment(H, b, 2 * (s + j), LE)
                                .convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
                        IntVector r = bh.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()
                                .add(m.reinterpretAsFloats()).reinterpretAsInts();
                        VectorMask<Integer> nan = r.and(0x7FFF_FFFF).compare(VectorOperators.GT, 0x7F80_0000);
                        // round to bf16 and encode in one step: the encoding of RNE(r) is (r + 0x7FFF + lsb) >>> 16
                        IntVector high = r.lanewise(VectorOperators.LSHR, 16);
                        IntVector enc = r.add(high.and(1)).add(0x7FFF).lanewise(VectorOperators.LSHR, 16);
                        ((ShortVector) enc.blend(high.or(0x40), nan).convertShape(VectorOperators.I2S, H, 0))
                                .intoMemorySegment(o, 2 * (s + j), LE);
                    }
                }
                for (; j < F.loopBound(len); j += L) {
                    FloatVector m = round(bf, FloatVector.fromArray(F, mixed, j));
                    if (normalize) {
                        m = round(bf, m.div(dv));
                    }
                    if (scale) {
                        m = round(bf, m.mul(lv));
                    }
                    store(bf, round(bf, load(bf, b, s + j).add(m)), o, s + j);
                }
                for (; j < len; j++) {
                    float m = Numerics.round(d, mixed[j]);
                    if (normalize) {
                        m = Numerics.round(d, m / div);
                    }
                    if (scale) {
                        m = Numerics.round(d, m * lam);
                    }
                    storeScalar(bf, Numerics.round(d, loadScalar(bf, b, s + j) + m), o, s + j);
                }
            }
        });
    }

    /** acc[j] += round(x[s+j]·w). */
    private static void addScaled(boolean bf, float[] acc, MemorySegment x, long s, float w, int len) {
        int j = 0;
        FloatVector wv = FloatVector.broadcast(F, w);
        if (bf) {
            for (; j < F.loopBound(len); j += L) {
                IntVector h = (IntVector) ShortVector.fromMemorySegment(H, x, 2 * (s + j), LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
                IntVector p = h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().mul(wv).reinterpretAsInts();
                p = p.add(0x7FFF).add(p.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xFFFF_0000)
                        .blend(p, p.and(0x7FFF_FFFF).compare(VectorOperators.GT, 0x7F80_0000));
                FloatVector.fromArray(F, acc, j).add(p.reinterpretAsFloats()).intoArray(acc, j);
            }
        } else {
            for (; j < F.loopBound(len); j += L) {
                FloatVector p = FloatVector.fromMemorySegment(F, x, 4 * (s + j), LE).mul(wv);
                FloatVector.fromArray(F, acc, j).add(p).intoArray(acc, j);
            }
        }
        for (; j < len; j++) {
            acc[j] += bf ? Numerics.bf16(loadScalar(true, x, s + j) * w) : loadScalar(false, x, s + j) * w;
        }
    }

    /** mixed[j] += round(round(x[s+j] - b[s+j])·w). */
    private static void addScaledDelta(boolean bf, float[] mixed, MemorySegment x, MemorySegment b, long s, float w,
                                       int len) {
        int j = 0;
        FloatVector wv = FloatVector.broadcast(F, w);
        if (bf) {
            for (; j < F.loopBound(len); j += L) {
                IntVector xh = (IntVector) ShortVector.fromMemorySegment(H, x, 2 * (s + j), LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
                IntVector bh = (IntVector) ShortVector.fromMemorySegment(H, b, 2 * (s + j), LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
                IntVector d = xh.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()
                        .sub(bh.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()).reinterpretAsInts();
                d = d.add(0x7FFF).add(d.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xFFFF_0000)
                        .blend(d, d.and(0x7FFF_FFFF).compare(VectorOperators.GT, 0x7F80_0000));
                IntVector p = d.reinterpretAsFloats().mul(wv).reinterpretAsInts();
                p = p.add(0x7FFF).add(p.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xFFFF_0000)
                        .blend(p, p.and(0x7FFF_FFFF).compare(VectorOperators.GT, 0x7F80_0000));
                FloatVector.fromArray(F, mixed, j).add(p.reinterpretAsFloats()).intoArray(mixed, j);
            }
        } else {
            for (; j < F.loopBound(len); j += L) {
                FloatVector delta = FloatVector.fromMemorySegment(F, x, 4 * (s + j), LE)
                        .sub(FloatVector.fromMemorySegment(F, b, 4 * (s + j), LE));
                FloatVector.fromArray(F, mixed, j).add(delta.mul(wv)).intoArray(mixed, j);
            }
        }
        DType d = bf ? DType.BF16 : DType.F32;
        for (; j < len; j++) {
            float delta = Numerics.round(d, loadScalar(bf, x, s + j) - loadScalar(bf, b, s + j));
            mixed[j] += Numerics.round(d, delta * w);
        }
    }

    /** A loop body over the element range [from, to). */
    @FunctionalInterface
    private interface Task {
        void run(long from, long to);
    }

    /** Runs body over [0, n) in {@link #TASK}-sized pieces, on the common pool when there are several. */
    private static void forTasks(long n, Task body) {
        if (n <= 2L * TASK) {
            body.run(0, n);
            return;
        }
        long pieces = (n + TASK - 1) / TASK;
        LongStream.range(0, pieces).parallel().forEach(p -> body.run(p * TASK, Math.min(n, (p + 1) * TASK)));
    }

    private static MemorySegment[] segments(List<Tensor> xs) {
        MemorySegment[] in = new MemorySegment[xs.size()];
        for (int m = 0; m < in.length; m++) {
            in[m] = xs.get(m).data();
        }
        return in;
    }

    private static FloatVector round(boolean bf, FloatVector v) {
        return bf ? bf16(v) : v;
    }

    /**
     * v rounded to bf16 lane-wise, as {@link VectorMath#bf16} (round to nearest even, NaN lanes unchanged). A copy
     * rather than a call: C2 does not inline a shared helper whose compiled code is already large, and a vector
     * passed to or returned from a call that is not inlined is boxed (measured: gigabytes of garbage per merge).
     */
    static FloatVector bf16(FloatVector v) {
        IntVector bits = v.reinterpretAsInts();
        IntVector r = bits.add(0x7FFF).add(bits.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xFFFF_0000);
        return r.blend(bits, bits.and(0x7FFF_FFFF).compare(VectorOperators.GT, 0x7F80_0000)).reinterpretAsFloats();
    }

    private static FloatVector load(boolean bf, MemorySegment s, long i) {
        return bf ? loadBf16(s, i) : FloatVector.fromMemorySegment(F, s, 4 * i, LE);
    }

    /** L bf16 values from element i widened to float (the bf16 bits are the float's top half). */
    static FloatVector loadBf16(MemorySegment s, long i) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(H, s, 2 * i, LE)
                .convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
        return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** Stores L floats at element i: f32 as is, bf16 encoded exactly as {@link FloatFormats#floatToBf16}. */
    static void store(boolean bf, FloatVector v, MemorySegment s, long i) {
        if (!bf) {
            v.intoMemorySegment(s, 4 * i, LE);
            return;
        }
        IntVector x = v.reinterpretAsInts();
        IntVector high = x.lanewise(VectorOperators.LSHR, 16);
        IntVector rounded = x.add(high.and(1)).add(0x7FFF).lanewise(VectorOperators.LSHR, 16);
        VectorMask<Integer> nan = x.and(0x7FFF_FFFF).compare(VectorOperators.GT, 0x7F80_0000);
        ((ShortVector) rounded.blend(high.or(0x40), nan).convertShape(VectorOperators.I2S, H, 0))
                .intoMemorySegment(s, 2 * i, LE);
    }

    private static float loadScalar(boolean bf, MemorySegment s, long i) {
        return bf ? FloatFormats.bf16ToFloat(s.get(I16, 2 * i)) : s.get(F32, 4 * i);
    }

    private static void storeScalar(boolean bf, float v, MemorySegment s, long i) {
        if (bf) {
            s.set(I16, 2 * i, FloatFormats.floatToBf16(v));
        } else {
            s.set(F32, 4 * i, v);
        }
    }
}
