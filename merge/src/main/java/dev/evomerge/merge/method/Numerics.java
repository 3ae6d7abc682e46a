package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.FloatFormats;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.stream.IntStream;

/**
 * Emulation of PyTorch's per-op rounding: every tensor op computes in float32 and rounds its result to the work
 * dtype (bf16/fp16 round to nearest even); F32 needs no rounding. F64 work is done in float32 (no LLM checkpoint
 * stores float64 weights). Also reads/writes tensors as float arrays and splits loops over threads.
 */
final class Numerics {

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /** Elements per unit of parallel work; also the grain below which loops stay on the caller's thread. */
    static final int GRAIN = 1 << 15;

    private Numerics() {
    }

    /** x rounded to bf16 and widened back (round to nearest even; NaN stays NaN; overflow goes to infinity). */
    static float bf16(float x) {
        int b = Float.floatToRawIntBits(x);
        if ((b & 0x7FFF_FFFF) > 0x7F80_0000) {
            return x;
        }
        return Float.intBitsToFloat((b + 0x7FFF + ((b >>> 16) & 1)) & 0xFFFF_0000);
    }

    /** x rounded to fp16 and widened back. */
    static float f16(float x) {
        return Float.float16ToFloat(Float.floatToFloat16(x));
    }

    /** The result of one torch op in dtype d: a float32 result rounded to d. */
    static float round(DType d, float x) {
        // if-chain rather than an enum switch: no $SwitchMap load, so the JIT can hoist the test out of loops
        if (d == DType.BF16) {
            return bf16(x);
        }
        if (d == DType.F16) {
            return f16(x);
        }
        return x;
    }

    /** Whether d needs a rounding step after each op (bf16/fp16). */
    static boolean rounds(DType d) {
        return d == DType.BF16 || d == DType.F16;
    }

    /**
     * A Python number turned into a tensor of dtype d ({@code torch.tensor([w], dtype=d)}): double to float, then to d
     * (torch converts through float, so this is the same double rounding torch does).
     */
    static float tensorOf(DType d, double w) {
        return round(d, (float) w);
    }

    /** Element values of a floating tensor as floats (exact for F32/BF16/F16). */
    static float[] read(Tensor t) {
        int n = Math.toIntExact(t.numel());
        float[] out = new float[n];
        forRange(n, (a, b) -> read(t, a, out, a, b - a));
        return out;
    }

    /** Elements [start, start+len) of t into dst[off..]. */
    static void read(Tensor t, long start, float[] dst, int off, int len) {
        MemorySegment s = t.data();
        switch (t.dtype()) {
            case F32 -> MemorySegment.copy(s, F32_LE, start * 4, dst, off, len);
            case BF16 -> {
                // widening is a shift, done a vector at a time straight from the (usually mapped) segment
                int i = 0;
                if (StreamKernels.SIMD && s.isNative()) {
                    for (; i < F.loopBound(len); i += F.length()) {
                        StreamKernels.loadBf16(s, start + i).intoArray(dst, off + i);
                    }
                }
                for (; i < len; i++) {
                    dst[off + i] = FloatFormats.bf16ToFloat(s.get(I16_LE, (start + i) * 2));
                }
            }
            case F16 -> {
                short[] raw = new short[len];
                MemorySegment.copy(s, I16_LE, start * 2, raw, 0, len);
                for (int i = 0; i < len; i++) {
                    dst[off + i] = Float.float16ToFloat(raw[i]);
                }
            }
            default -> {
                for (int i = 0; i < len; i++) {
                    dst[off + i] = t.getFloat(start + i);
                }
            }
        }
    }

    /** A new tensor of dtype d holding v (values are rounded to d; callers pass values already representable). */
    static Tensor write(DType d, Shape shape, float[] v) {
        Tensor out = Tensor.allocate(d, shape);
        MemorySegment s = out.data();
        int n = v.length;
        switch (d) {
            case F32 -> forRange(n, (a, b) -> MemorySegment.copy(v, a, s, F32_LE, 4L * a, b - a));
            case BF16 -> forRange(n, (a, b) -> {
                short[] raw = new short[b - a];
                for (int i = a; i < b; i++) {
                    raw[i - a] = FloatFormats.floatToBf16(v[i]);
                }
                MemorySegment.copy(raw, 0, s, I16_LE, 2L * a, b - a);
            });
            case F16 -> forRange(n, (a, b) -> {
                short[] raw = new short[b - a];
                for (int i = a; i < b; i++) {
                    raw[i - a] = Float.floatToFloat16(v[i]);
                }
                MemorySegment.copy(raw, 0, s, I16_LE, 2L * a, b - a);
            });
            default -> {
                for (int i = 0; i < n; i++) {
                    out.setFloat(i, v[i]);
                }
            }
        }
        return out;
    }

    /** Stores v[0..len) as elements [start, start+len) of t (rounding to t's dtype). */
    static void writePiece(Tensor t, long start, float[] v, int len) {
        MemorySegment s = t.data();
        switch (t.dtype()) {
            case F32 -> MemorySegment.copy(v, 0, s, F32_LE, start * 4, len);
            case BF16 -> {
                // round-to-nearest-even with the NaN guard of FloatFormats.floatToBf16, a vector at a time
                int i = 0;
                if (StreamKernels.SIMD && s.isNative()) {
                    for (; i < F.loopBound(len); i += F.length()) {
                        StreamKernels.store(true, FloatVector.fromArray(F, v, i), s, start + i);
                    }
                }
                for (; i < len; i++) {
                    s.set(I16_LE, (start + i) * 2, FloatFormats.floatToBf16(v[i]));
                }
            }
            case F16 -> {
                short[] raw = new short[len];
                for (int i = 0; i < len; i++) {
                    raw[i] = Float.floatToFloat16(v[i]);
                }
                MemorySegment.copy(raw, 0, s, I16_LE, start * 2, len);
            }
            default -> {
                for (int i = 0; i < len; i++) {
                    t.setFloat(start + i, v[i]);
                }
            }
        }
    }

    /** Σ|a| accumulated in double. */
    static double sumAbs(float[] a) {
        return sumParallel(a.length, (s, e) -> {
            double acc = 0;
            for (int i = s; i < e; i++) {
                acc += Math.abs(a[i]);
            }
            return acc;
        });
    }

    /** A loop body over the index range [start, end). */
    @FunctionalInterface
    interface Range {
        void run(int start, int end);
    }

    /** A partial sum over the index range [start, end). */
    @FunctionalInterface
    interface RangeSum {
        double sum(int start, int end);
    }

    /** A loop body over piece p, the index range [start, end). */
    @FunctionalInterface
    interface PieceRange {
        void run(int p, int start, int end);
    }

    /** How many pieces [0, n) is split into: one when n ≤ 2·GRAIN, else GRAIN-sized ones (the last shorter). */
    static int pieces(int n) {
        return n <= 2 * GRAIN ? 1 : (n + GRAIN - 1) / GRAIN;
    }

    /** The end of piece p of [0, n) (it starts at p·GRAIN). */
    static int pieceEnd(int n, int p) {
        return pieces(n) == 1 ? n : Math.min(n, (p + 1) * GRAIN);
    }

    /** Runs body over every piece of [0, n) with its index, in parallel when there are several. */
    static void forPieces(int n, PieceRange body) {
        int pieces = pieces(n);
        if (pieces == 1) {
            body.run(0, 0, n);
            return;
        }
        IntStream.range(0, pieces).parallel().forEach(p -> body.run(p, p * GRAIN, pieceEnd(n, p)));
    }

    /** Runs body over [0, n) in GRAIN-sized pieces, in parallel when n is large. */
    static void forRange(int n, Range body) {
        forPieces(n, (p, s, e) -> body.run(s, e));
    }

    /** Sum of partial sums over the pieces (added in index order, so the result is deterministic). */
    static double sumParallel(int n, RangeSum body) {
        if (pieces(n) == 1) {
            return body.sum(0, n);
        }
        double[] parts = new double[pieces(n)];
        forPieces(n, (p, s, e) -> parts[p] = body.sum(s, e));
        double acc = 0;
        for (double d : parts) {
            acc += d;
        }
        return acc;
    }

    /** A float32 reduction result as torch returns it in dtype d: the exact-ish double sum rounded to float, then d. */
    static float reduced(DType d, double sum) {
        return round(d, (float) sum);
    }
}
