package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.FloatFormats;
import dev.evomerge.core.tensor.NativeMemory;
import dev.evomerge.core.tensor.RowBlockTarget;
import dev.evomerge.core.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.LongStream;

import static dev.evomerge.core.tensor.NativeMemory.ALL;

/**
 * Streaming versions of linear and plain task arithmetic for bf16 and f32 tensors, taken by linear and by
 * task_arithmetic whenever {@link #supports} holds (the other task-arithmetic variants go through {@link StreamedGta}
 * or {@link GtaMethod}'s array path): the inputs are read straight from
 * their memory (usually the memory-mapped files) one vector at a time, computed with exactly the per-op rounding of
 * {@link MergeKernels#weightedSum} and {@link GtaMethod#combine} without consensus (float32 op, then round to the work dtype, in
 * the same order, no fused multiply-add), and written to the output in its dtype. The running sum stays in a
 * register and nothing is allocated, so a merge needs no float copies and makes no garbage once compiled.
 *
 * <p>The bf16 rounding ({@code (bits + 0x7FFF + lsb) & 0xFFFF0000}, as {@link VectorMath#round}) is written out in
 * each loop rather than called: C2 does not inline a shared helper whose compiled code is already large, and a vector
 * passed to or returned from a call that is not inlined is boxed (measured: gigabytes of garbage per merge). Unlike
 * {@link VectorMath#round} the intermediate roundings skip the NaN test: every value here is a bf16 input widened, a
 * configured constant, or an arithmetic result of those, so a NaN among them has its low 16 bits zero (an
 * operand's payload, or the default NaN of an invalid operation) and the rounding leaves it unchanged. The general
 * loops' final encoding tests for NaN, to set the quiet bit as {@link FloatFormats#floatToBf16} does; the unrolled
 * two- and three-input loops do not need to: every value they store is an arithmetic result (a sum from +0, a
 * quotient, a base plus a mix), and arithmetic on a signalling NaN gives it its quiet bit, so the test changed no
 * bit (StreamKernelsTest stores signalling NaNs through every loop) and cost four of the forty-odd vector operations
 * per output vector. A division by a normalizing sum of exactly 1 is skipped too (x / 1 is x, and its rounding
 * changes nothing): the common case of weights that sum to 1, and otherwise one division per output vector.
 *
 * <p>On 512-bit vectors the two- and three-input bf16 loops first run 32 elements per iteration (the even and the odd
 * elements of one load as two chains of the same operations, see {@link #weightedSumBf16Wide}), then the 16-element
 * loop and the scalar tail take what is left; the results are bit-identical either way. These unrolled loops read and
 * write through {@link NativeMemory#ALL} at addresses checked once per call ({@link #address}), so that their compiled
 * code does not depend on how the rest of the process used the JDK's memory access (see {@link NativeMemory}).
 */
final class StreamKernels {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    static final boolean SIMD = F.vectorBitSize() >= 128;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Short> H = SIMD
            ? VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2)) : null;
    /**
     * Whether the preferred vector is 512 bits (16 float lanes), so that one int vector holds 32 bf16 elements: the
     * wide loops ({@link #weightedSumBf16Wide}, {@link #taskArithmeticBf16Wide}) run only then.
     */
    private static final boolean WIDE = SIMD && F.vectorBitSize() == 512;
    /**
     * Set to {@code false} to keep the 16-element loops where the wide ones would run; read once per tensor, so
     * that a benchmark (PagedStreamBench) can compare both in one JVM. Results are identical either way.
     */
    static final String WIDE_PROPERTY = "evomerge.streamKernels.wide";
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    /** Elements per parallel task; large enough to amortise scheduling, small next to one tensor. */
    static final int TASK = 1 << 16;

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
     * float32 accumulator that starts at +0 and adds the products in input order. One pass: each vector of the output
     * reads its inputs once and keeps the sum in a register.
     */
    static void weightedSum(DType d, List<Tensor> xs, float[] w, boolean normalizeBy, float den, Tensor out,
                            RowBlockTarget rows) {
        int k = xs.size();
        MemorySegment[] in = segments(xs);
        boolean bf = d == DType.BF16;
        boolean normalize = normalizeBy && den != 1f; // x / 1 == x exactly, and x is already rounded
        boolean wide = wideLoops();
        forTasks(out, rows, (from, to, o, shift) -> {
            long i = from;
            if (bf && (k == 2 || k == 3) && o.isNative()) {
                long x0 = address(in[0], from, to);
                long x1 = address(in[1], from, to);
                long x2 = address(in[k - 1], from, to);
                long oa = address(o, from - shift, to - shift);
                if (wide) {
                    i = weightedSumBf16Wide(x0, x1, x2, w[0], w[1], w[k - 1], k == 3, normalize, den, i, to, oa,
                            shift);
                }
                i = weightedSumBf16Unrolled(x0, x1, x2, w[0], w[1], w[k - 1], k == 3, normalize, den, i, to, oa,
                        shift);
            } else if (bf) {
                // rounding and bf16 encoding written out in the loop, not called (see the class comment)
                for (; i + L <= to; i += L) {
                    FloatVector acc = FloatVector.zero(F);
                    for (int m = 0; m < k; m++) {
                        IntVector h = (IntVector) ShortVector.fromMemorySegment(H, in[m], 2 * i, LE)
                                .convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
                        IntVector p = h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().mul(w[m])
                                .reinterpretAsInts();
                        p = p.add(0x7FFF).add(p.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xFFFF_0000);
                        acc = acc.add(p.reinterpretAsFloats());
                    }
                    IntVector a = acc.reinterpretAsInts();
                    a = a.add(0x7FFF).add(a.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xFFFF_0000);
                    if (normalize) {
                        IntVector q = a.reinterpretAsFloats().div(den).reinterpretAsInts();
                        a = q.add(0x7FFF).add(q.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xFFFF_0000);
                    }
                    // a is bf16-valued: its top half is the encoding, except that NaNs are made quiet
                    IntVector high = a.lanewise(VectorOperators.LSHR, 16);
                    ((ShortVector) high.blend(high.or(0x40),
                            a.and(0x7FFF_FFFF).compare(VectorOperators.GT, 0x7F80_0000))
                            .convertShape(VectorOperators.I2S, H, 0)).intoMemorySegment(o, 2 * (i - shift), LE);
                }
            } else {
                for (; i + L <= to; i += L) {
                    FloatVector acc = FloatVector.zero(F);
                    for (int m = 0; m < k; m++) {
                        acc = acc.add(FloatVector.fromMemorySegment(F, in[m], 4 * i, LE).mul(w[m]));
                    }
                    if (normalize) {
                        acc = acc.div(den);
                    }
                    acc.intoMemorySegment(o, 4 * (i - shift), LE);
                }
            }
            for (; i < to; i++) {
                float acc = 0f;
                for (int m = 0; m < k; m++) {
                    float x = loadScalar(bf, in[m], i);
                    acc += bf ? Numerics.bf16(x * w[m]) : x * w[m];
                }
                float v = Numerics.round(d, acc);
                if (normalize) {
                    v = Numerics.round(d, v / den);
                }
                storeScalar(bf, v, o, i - shift);
            }
        });
    }

    /**
     * task_arithmetic (no sparsification, no consensus), the streamed path {@link GtaMethod} takes for it: {@code δ_i = round(x_i - b)},
     * {@code mixed = Σ round(δ_i W_i)} (float32, from +0, in input order), {@code m = round(mixed)}, then
     * {@code round(m / div)} when normalize, {@code round(m λ)} when scale, and {@code out = round(b + m)}. One pass:
     * each vector of the output reads the base and every input once and keeps the sum in a register.
     */
    static void taskArithmetic(DType d, Tensor base, List<Tensor> xs, float[] w, float div, boolean normalizeBy,
                               boolean scale, float lam, Tensor out, RowBlockTarget rows) {
        boolean normalize = normalizeBy && div != 1f; // m / 1 == m exactly, and m is already rounded
        int k = xs.size();
        MemorySegment[] in = segments(xs);
        MemorySegment b = base.data();
        boolean bf = d == DType.BF16;
        boolean wide = wideLoops();
        forTasks(out, rows, (from, to, o, shift) -> {
            long i = from;
            if (bf && (k == 2 || k == 3) && o.isNative()) {
                long ba = address(b, from, to);
                long x0 = address(in[0], from, to);
                long x1 = address(in[1], from, to);
                long x2 = address(in[k - 1], from, to);
                long oa = address(o, from - shift, to - shift);
                if (wide) {
                    i = taskArithmeticBf16Wide(ba, x0, x1, x2, w[0], w[1], w[k - 1], k == 3, div, normalize, scale,
                            lam, i, to, oa, shift);
                }
                i = taskArithmeticBf16Unrolled(ba, x0, x1, x2, w[0], w[1], w[k - 1], k == 3, div, normalize, scale,
                        lam, i, to, oa, shift);
            } else if (bf) {
                // rounding and bf16 encoding written out in the loop, not called (see the class comment)
                for (; i + L <= to; i += L) {
                    FloatVector bv = ((IntVector) ShortVector.fromMemorySegment(H, b, 2 * i, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0))
                            .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
                    FloatVector mixed = FloatVector.zero(F);
                    for (int m = 0; m < k; m++) {
                        IntVector xh = (IntVector) ShortVector.fromMemorySegment(H, in[m], 2 * i, LE)
                                .convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
                        IntVector dl = xh.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().sub(bv)
                                .reinterpretAsInts();
                        dl = dl.add(0x7FFF).add(dl.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xFFFF_0000);
                        IntVector p = dl.reinterpretAsFloats().mul(w[m]).reinterpretAsInts();
                        p = p.add(0x7FFF).add(p.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xFFFF_0000);
                        mixed = mixed.add(p.reinterpretAsFloats());
                    }
                    IntVector mv = mixed.reinterpretAsInts();
                    mv = mv.add(0x7FFF).add(mv.lanewise(VectorOperators.LSHR, 16).and(1)).and(0xFFFF_0000);
                    if (normalize) {
                        mv = mv.reinterpretAsFloats().div(div).reinterpretAsInts();
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
                            .intoMemorySegment(o, 2 * (i - shift), LE);
                }
            } else {
                for (; i + L <= to; i += L) {
                    FloatVector bv = FloatVector.fromMemorySegment(F, b, 4 * i, LE);
                    FloatVector mixed = FloatVector.zero(F);
                    for (int m = 0; m < k; m++) {
                        mixed = mixed.add(FloatVector.fromMemorySegment(F, in[m], 4 * i, LE).sub(bv).mul(w[m]));
                    }
                    if (normalize) {
                        mixed = mixed.div(div);
                    }
                    if (scale) {
                        mixed = mixed.mul(lam);
                    }
                    bv.add(mixed).intoMemorySegment(o, 4 * (i - shift), LE);
                }
            }
            for (; i < to; i++) {
                float bs = loadScalar(bf, b, i);
                float mixed = 0f;
                for (int m = 0; m < k; m++) {
                    float delta = Numerics.round(d, loadScalar(bf, in[m], i) - bs);
                    mixed += Numerics.round(d, delta * w[m]);
                }
                float mv = Numerics.round(d, mixed);
                if (normalize) {
                    mv = Numerics.round(d, mv / div);
                }
                if (scale) {
                    mv = Numerics.round(d, mv * lam);
                }
                storeScalar(bf, Numerics.round(d, bs + mv), o, i - shift);
            }
        });
    }

    /**
     * The bf16 vector loop of {@link #weightedSum} for two or three inputs ({@code three}; with two, x2 and w2 are
     * not read), the model loop unrolled: with the inputs and weights in locals, C2 hoists the weight broadcasts and
     * the per-input work out of the loop, which the loop over an array of segments re-did for every vector and input
     * (measured on one core, cache-resident task_arithmetic: 12.3 -> 16.3 GB/s of input). Inputs and output are
     * addresses ({@link #address}).
     * The same operations in the same order as the general loop. Returns the first element it did not compute.
     */
    private static long weightedSumBf16Unrolled(long x0, long x1, long x2, float w0, float w1, float w2,
                                                boolean three, boolean normalize, float den, long from, long to,
                                                long o, long shift) {
        IntVector half = IntVector.broadcast(I, 0x7FFF);
        IntVector one = IntVector.broadcast(I, 1);
        IntVector top = IntVector.broadcast(I, 0xFFFF_0000);
        long i = from;
        for (; i + L <= to; i += L) {
            IntVector p = widened(x0, i).mul(w0).reinterpretAsInts();
            p = p.add(half).add(p.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            FloatVector acc = FloatVector.zero(F).add(p.reinterpretAsFloats());
            p = widened(x1, i).mul(w1).reinterpretAsInts();
            p = p.add(half).add(p.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            acc = acc.add(p.reinterpretAsFloats());
            if (three) {
                p = widened(x2, i).mul(w2).reinterpretAsInts();
                p = p.add(half).add(p.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
                acc = acc.add(p.reinterpretAsFloats());
            }
            IntVector a = acc.reinterpretAsInts();
            a = a.add(half).add(a.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            if (normalize) {
                IntVector q = a.reinterpretAsFloats().div(den).reinterpretAsInts();
                a = q.add(half).add(q.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            }
            // a is bf16-valued and, an arithmetic result, quiet when NaN: its top half is the encoding
            ((ShortVector) a.lanewise(VectorOperators.LSHR, 16).convertShape(VectorOperators.I2S, H, 0))
                    .intoMemorySegment(ALL, o + 2 * (i - shift), LE);
        }
        return i;
    }

    /**
     * The bf16 vector loop of {@link #taskArithmetic} for two or three fine-tunes ({@code three}; with two, x2 and
     * w2 are not read), unrolled as {@link #weightedSumBf16Unrolled} and for the same reason; the same operations in
     * the same order as the general loop. Returns the first element it did not compute.
     */
    private static long taskArithmeticBf16Unrolled(long b, long x0, long x1, long x2, float w0, float w1, float w2,
                                                   boolean three, float div, boolean normalize, boolean scale,
                                                   float lam, long from, long to, long o, long shift) {
        IntVector half = IntVector.broadcast(I, 0x7FFF);
        IntVector one = IntVector.broadcast(I, 1);
        IntVector top = IntVector.broadcast(I, 0xFFFF_0000);
        long i = from;
        for (; i + L <= to; i += L) {
            FloatVector bv = widened(b, i);
            IntVector dl = widened(x0, i).sub(bv).reinterpretAsInts();
            dl = dl.add(half).add(dl.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            IntVector p = dl.reinterpretAsFloats().mul(w0).reinterpretAsInts();
            p = p.add(half).add(p.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            FloatVector mixed = FloatVector.zero(F).add(p.reinterpretAsFloats());
            dl = widened(x1, i).sub(bv).reinterpretAsInts();
            dl = dl.add(half).add(dl.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            p = dl.reinterpretAsFloats().mul(w1).reinterpretAsInts();
            p = p.add(half).add(p.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            mixed = mixed.add(p.reinterpretAsFloats());
            if (three) {
                dl = widened(x2, i).sub(bv).reinterpretAsInts();
                dl = dl.add(half).add(dl.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
                p = dl.reinterpretAsFloats().mul(w2).reinterpretAsInts();
                p = p.add(half).add(p.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
                mixed = mixed.add(p.reinterpretAsFloats());
            }
            IntVector mv = mixed.reinterpretAsInts();
            mv = mv.add(half).add(mv.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            if (normalize) {
                mv = mv.reinterpretAsFloats().div(div).reinterpretAsInts();
                mv = mv.add(half).add(mv.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            }
            if (scale) {
                mv = mv.reinterpretAsFloats().mul(lam).reinterpretAsInts();
                mv = mv.add(half).add(mv.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            }
            // round and encode in one step; r is an arithmetic result, so a NaN is quiet with its low half zero and
            // encodes as its top half without a test
            IntVector r = bv.add(mv.reinterpretAsFloats()).reinterpretAsInts();
            IntVector enc = r.add(r.lanewise(VectorOperators.LSHR, 16).and(one)).add(half)
                    .lanewise(VectorOperators.LSHR, 16);
            ((ShortVector) enc.convertShape(VectorOperators.I2S, H, 0)).intoMemorySegment(ALL, o + 2 * (i - shift), LE);
        }
        return i;
    }

    /** Whether the wide loops run: on 512-bit vectors, unless {@link #WIDE_PROPERTY} is {@code false}. */
    private static boolean wideLoops() {
        return WIDE && !"false".equals(System.getProperty(WIDE_PROPERTY));
    }

    /**
     * {@link #weightedSumBf16Unrolled} for 32 elements per iteration, on 512-bit vectors only: one int vector load
     * holds 32 bf16 values, the even-numbered elements in the low halves and the odd ones in the high halves
     * (little-endian), so the odd elements are floats already once the low halves are cleared ({@code v & top}) and
     * the even ones are {@code v << 16}: one operation per 16 elements where the narrow loop zero-extends and
     * shifts. The even and the odd vector then go through the narrow loop's operations, in the same order, as two
     * independent chains; both results are bf16-valued (low halves zero), so {@code odd | (even >>> 16)} is the 32
     * encodings in place, one store, without the narrowing. Returns the first element it did not compute; the narrow
     * loop and the scalar tail take the rest. A method of its own, not a first loop inside the narrow one: with both
     * loops in one method C2 stopped inlining the narrow loop's vector operations (measured: 600 MB of boxed vectors
     * per streaming pass of PagedStreamBench, a fifth of the speed).
     */
    private static long weightedSumBf16Wide(long x0, long x1, long x2, float w0, float w1, float w2, boolean three,
                                            boolean normalize, float den, long from, long to, long o, long shift) {
        IntVector half = IntVector.broadcast(I, 0x7FFF);
        IntVector one = IntVector.broadcast(I, 1);
        IntVector top = IntVector.broadcast(I, 0xFFFF_0000);
        long i = from;
        for (; i + 2L * L <= to; i += 2L * L) {
            IntVector v = IntVector.fromMemorySegment(I, ALL, x0 + 2 * i, LE);
            IntVector pe = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().mul(w0).reinterpretAsInts();
            IntVector po = v.and(top).reinterpretAsFloats().mul(w0).reinterpretAsInts();
            pe = pe.add(half).add(pe.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            po = po.add(half).add(po.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            FloatVector ae = FloatVector.zero(F).add(pe.reinterpretAsFloats());
            FloatVector ao = FloatVector.zero(F).add(po.reinterpretAsFloats());
            v = IntVector.fromMemorySegment(I, ALL, x1 + 2 * i, LE);
            pe = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().mul(w1).reinterpretAsInts();
            po = v.and(top).reinterpretAsFloats().mul(w1).reinterpretAsInts();
            pe = pe.add(half).add(pe.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            po = po.add(half).add(po.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            ae = ae.add(pe.reinterpretAsFloats());
            ao = ao.add(po.reinterpretAsFloats());
            if (three) {
                v = IntVector.fromMemorySegment(I, ALL, x2 + 2 * i, LE);
                pe = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().mul(w2).reinterpretAsInts();
                po = v.and(top).reinterpretAsFloats().mul(w2).reinterpretAsInts();
                pe = pe.add(half).add(pe.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
                po = po.add(half).add(po.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
                ae = ae.add(pe.reinterpretAsFloats());
                ao = ao.add(po.reinterpretAsFloats());
            }
            IntVector se = ae.reinterpretAsInts();
            IntVector so = ao.reinterpretAsInts();
            se = se.add(half).add(se.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            so = so.add(half).add(so.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            if (normalize) {
                IntVector qe = se.reinterpretAsFloats().div(den).reinterpretAsInts();
                IntVector qo = so.reinterpretAsFloats().div(den).reinterpretAsInts();
                se = qe.add(half).add(qe.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
                so = qo.add(half).add(qo.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            }
            // both bf16-valued and, arithmetic results, quiet when NaN: the encodings are their top halves
            so.or(se.lanewise(VectorOperators.LSHR, 16)).intoMemorySegment(ALL, o + 2 * (i - shift), LE);
        }
        return i;
    }

    /**
     * {@link #taskArithmeticBf16Unrolled} for 32 elements per iteration, on 512-bit vectors only, with the even and
     * the odd elements of each load as two chains of the narrow loop's operations, as {@link #weightedSumBf16Wide}.
     * The final rounding encodes the even results into the low halves ({@code >>> 16}) and leaves the odd ones in
     * the high halves ({@code & top}), one store. Returns the first element it did not compute.
     */
    private static long taskArithmeticBf16Wide(long b, long x0, long x1, long x2, float w0, float w1, float w2,
                                               boolean three, float div, boolean normalize, boolean scale, float lam,
                                               long from, long to, long o, long shift) {
        IntVector half = IntVector.broadcast(I, 0x7FFF);
        IntVector one = IntVector.broadcast(I, 1);
        IntVector top = IntVector.broadcast(I, 0xFFFF_0000);
        long i = from;
        for (; i + 2L * L <= to; i += 2L * L) {
            IntVector v = IntVector.fromMemorySegment(I, ALL, b + 2 * i, LE);
            FloatVector be = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector bo = v.and(top).reinterpretAsFloats();
            v = IntVector.fromMemorySegment(I, ALL, x0 + 2 * i, LE);
            IntVector de = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().sub(be).reinterpretAsInts();
            IntVector dO = v.and(top).reinterpretAsFloats().sub(bo).reinterpretAsInts();
            de = de.add(half).add(de.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            dO = dO.add(half).add(dO.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            IntVector pe = de.reinterpretAsFloats().mul(w0).reinterpretAsInts();
            IntVector po = dO.reinterpretAsFloats().mul(w0).reinterpretAsInts();
            pe = pe.add(half).add(pe.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            po = po.add(half).add(po.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            FloatVector me = FloatVector.zero(F).add(pe.reinterpretAsFloats());
            FloatVector mo = FloatVector.zero(F).add(po.reinterpretAsFloats());
            v = IntVector.fromMemorySegment(I, ALL, x1 + 2 * i, LE);
            de = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().sub(be).reinterpretAsInts();
            dO = v.and(top).reinterpretAsFloats().sub(bo).reinterpretAsInts();
            de = de.add(half).add(de.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            dO = dO.add(half).add(dO.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            pe = de.reinterpretAsFloats().mul(w1).reinterpretAsInts();
            po = dO.reinterpretAsFloats().mul(w1).reinterpretAsInts();
            pe = pe.add(half).add(pe.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            po = po.add(half).add(po.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            me = me.add(pe.reinterpretAsFloats());
            mo = mo.add(po.reinterpretAsFloats());
            if (three) {
                v = IntVector.fromMemorySegment(I, ALL, x2 + 2 * i, LE);
                de = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().sub(be).reinterpretAsInts();
                dO = v.and(top).reinterpretAsFloats().sub(bo).reinterpretAsInts();
                de = de.add(half).add(de.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
                dO = dO.add(half).add(dO.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
                pe = de.reinterpretAsFloats().mul(w2).reinterpretAsInts();
                po = dO.reinterpretAsFloats().mul(w2).reinterpretAsInts();
                pe = pe.add(half).add(pe.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
                po = po.add(half).add(po.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
                me = me.add(pe.reinterpretAsFloats());
                mo = mo.add(po.reinterpretAsFloats());
            }
            IntVector ve = me.reinterpretAsInts();
            IntVector vo = mo.reinterpretAsInts();
            ve = ve.add(half).add(ve.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            vo = vo.add(half).add(vo.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            if (normalize) {
                ve = ve.reinterpretAsFloats().div(div).reinterpretAsInts();
                vo = vo.reinterpretAsFloats().div(div).reinterpretAsInts();
                ve = ve.add(half).add(ve.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
                vo = vo.add(half).add(vo.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            }
            if (scale) {
                ve = ve.reinterpretAsFloats().mul(lam).reinterpretAsInts();
                vo = vo.reinterpretAsFloats().mul(lam).reinterpretAsInts();
                ve = ve.add(half).add(ve.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
                vo = vo.add(half).add(vo.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            }
            // round and encode in one step, as the narrow loop: quiet NaNs with zero low halves need no test
            IntVector re = be.add(ve.reinterpretAsFloats()).reinterpretAsInts();
            IntVector ro = bo.add(vo.reinterpretAsFloats()).reinterpretAsInts();
            IntVector ee = re.add(re.lanewise(VectorOperators.LSHR, 16).and(one)).add(half)
                    .lanewise(VectorOperators.LSHR, 16);
            IntVector eo = ro.add(ro.lanewise(VectorOperators.LSHR, 16).and(one)).add(half).and(top);
            eo.or(ee).intoMemorySegment(ALL, o + 2 * (i - shift), LE);
        }
        return i;
    }

    /**
     * {@link #loadBf16} for the unrolled loops: the same three operations, in a method small enough that C2 inlines
     * it (PagedStreamBench prints the heap allocated by a streaming pass: a box per vector would be megabytes).
     */
    private static FloatVector widened(long s, long i) {
        return ((IntVector) ShortVector.fromMemorySegment(H, ALL, s + 2 * i, LE)
                .convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0)).lanewise(VectorOperators.LSHL, 16)
                .reinterpretAsFloats();
    }

    /** A loop body over the element range [from, to) of a tensor (the ties stream's passes). */
    @FunctionalInterface
    interface RangeTask {
        void run(long from, long to);
    }

    /**
     * Runs body over [0, n) in {@link #TASK}-sized pieces, in parallel when there are several: on the pool of the
     * running thread, which in a merge is the merge's own workers (MergeExecutor).
     */
    static void forTasks(long n, RangeTask body) {
        if (n <= 2L * TASK) {
            body.run(0, n);
            return;
        }
        long pieces = (n + TASK - 1) / TASK;
        LongStream.range(0, pieces).parallel().forEach(p -> body.run(p * TASK, Math.min(n, (p + 1) * TASK)));
    }

    /**
     * A loop body over the element range [from, to) of the output, storing element i at element {@code i - shift} of
     * {@code o}.
     */
    @FunctionalInterface
    interface Task {
        void run(long from, long to, MemorySegment o, long shift);
    }

    /**
     * Runs body over the elements of {@code out}: in {@link #TASK}-sized pieces written into {@code out}, in parallel
     * when there are several; or, when {@code rows} takes them, a block of rows at a time into a scratch of
     * the running thread that {@code rows} then stores while it is still in cache (the merged rows never pass
     * through memory row-major).
     */
    static void forTasks(Tensor out, RowBlockTarget rows, Task body) {
        long n = out.numel();
        MemorySegment o = out.data();
        if (rows == null) {
            forTasks(n, (from, to) -> body.run(from, to, o, 0));
            return;
        }
        int height = Math.toIntExact(rows.shape().dim(0));
        long cols = rows.shape().dim(1);
        int block = Math.max(1, rows.blockRows());
        long elementBytes = out.dtype().byteSize();
        int blocks = (height + block - 1) / block;
        IntStream.range(0, blocks).parallel().forEach(b -> {
            int r0 = b * block;
            int r = Math.min(block, height - r0);
            long bytes = r * cols * elementBytes;
            MemorySegment scratch = RowScratch.of(bytes);
            body.run(r0 * cols, (r0 + r) * cols, scratch, r0 * cols);
            // every bf16 store of the kernels here quiets NaNs (as floatToBf16), so the target need not
            rows.putQuietRows(r0, r, scratch.asSlice(0, bytes));
        });
    }

    /** Each thread's scratch for one block of rows, kept and grown as needed (a block is 0.1-0.4 MB). */
    private static final class RowScratch {
        private static final ThreadLocal<MemorySegment> SCRATCH = new ThreadLocal<>();

        static MemorySegment of(long bytes) {
            MemorySegment s = SCRATCH.get();
            if (s == null || s.byteSize() < bytes) {
                s = Arena.ofAuto().allocate(bytes, 64);
                SCRATCH.set(s);
            }
            return s;
        }
    }

    /**
     * The address of element 0 of bf16 tensor memory {@code s}, its elements {@code [from, to)} checked (see
     * {@link NativeMemory}); the bf16 loops here and in {@link TiesStream} read and write through
     * {@link NativeMemory#ALL} from it.
     */
    static long address(MemorySegment s, long from, long to) {
        return NativeMemory.address(s, 2 * from, 2 * to);
    }

    private static MemorySegment[] segments(List<Tensor> xs) {
        MemorySegment[] in = new MemorySegment[xs.size()];
        for (int m = 0; m < in.length; m++) {
            in[m] = xs.get(m).data();
        }
        return in;
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
