package dev.evomerge.core.tensor;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Optional;
import java.util.stream.LongStream;

import static jdk.incubator.vector.VectorOperators.D2F;
import static jdk.incubator.vector.VectorOperators.F2D;
import static jdk.incubator.vector.VectorOperators.GE;
import static jdk.incubator.vector.VectorOperators.GT;
import static jdk.incubator.vector.VectorOperators.I2S;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.LT;
import static jdk.incubator.vector.VectorOperators.ZERO_EXTEND_S2I;

/**
 * SIMD (Vector API) and multi-threaded bulk operations on tensors, bit-identical to {@link ScalarKernels}
 * (conversions to the last bit, NaN payloads included; arithmetic too, except the payload of a NaN it produces,
 * which Java leaves unspecified).
 *
 * <p>Arithmetic is float32: {@link #scale}, {@link #add}, {@link #dot} and {@link #norm} take F32 tensors;
 * {@link #axpy} also accepts a BF16/F16 x (widened exactly on the fly) so merges can accumulate 16-bit weights into
 * an F32 accumulator without an intermediate copy. Operands are matched by element count (shapes may differ).
 * {@link #convert} handles every dtype pair. Work above {@link #PARALLEL_THRESHOLD} elements is split into fixed
 * chunks run on the common ForkJoinPool (or the pool the caller runs in); results never depend on the thread count.
 *
 * <p>Tensors whose segments are confined to one thread run single-threaded; heap segments not backed by a byte[]
 * take the scalar path (the Vector API cannot load from them). Destinations must not partially overlap sources.
 */
public final class Kernels {

    /** Tensors with at least this many elements are processed by several threads. */
    public static final long PARALLEL_THRESHOLD = 1L << 20;
    /** Elements per dot/norm block: each block is reduced alone and the block sums are added in index order. */
    public static final int REDUCTION_BLOCK = 1 << 16;
    /** Partial sums per dot/norm block (fixed, so results are the same on AVX2 and AVX-512 machines). */
    public static final int REDUCTION_LANES = 16;
    /** Elements per parallel task for elementwise work (a multiple of every vector length). */
    static final int CHUNK = 1 << 18;
    /** Bytes per piece of a same-dtype copy. */
    private static final long COPY_CHUNK_BYTES = 4L << 20;

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** The Vector API paths need 16-bit lanes at half the float width; below 128-bit vectors use the scalar path. */
    private static final boolean SIMD = F.vectorBitSize() >= 128;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Double> D = VectorSpecies.of(double.class, F.vectorShape());
    private static final VectorSpecies<Short> S = SIMD ? VectorSpecies.of(short.class, half(F.vectorShape())) : null;
    private static final VectorSpecies<Float> FH = SIMD ? VectorSpecies.of(float.class, half(F.vectorShape())) : null;

    private Kernels() {
    }

    private static VectorShape half(VectorShape shape) {
        return VectorShape.forBitSize(shape.vectorBitSize() / 2);
    }

    // ---------------------------------------------------------------------------------------------- conversion

    /** A new tensor of the given dtype holding src's values (see {@link ScalarKernels#convert} for rounding). */
    public static Tensor convert(Tensor src, DType dtype) {
        return convert(src, dtype, Arena.ofAuto());
    }

    /** As {@link #convert(Tensor, DType)}, allocating in the given arena (shared or auto for large tensors). */
    public static Tensor convert(Tensor src, DType dtype, Arena arena) {
        Tensor dst = Tensor.allocate(dtype, src.shape(), arena);
        convert(src, dst);
        return dst;
    }

    /**
     * Converts src into dst (same element count, any dtype pair). Same dtype copies bytes; F32/BF16/F16 to
     * F32/BF16/F16/F64 and F64 to F32 are vectorised; other pairs run the scalar definition on parallel chunks.
     */
    public static void convert(Tensor src, Tensor dst) {
        checkConvert(src, dst);
        long n = src.numel();
        DType s = src.dtype();
        DType d = dst.dtype();
        boolean simd = SIMD && vectorizable(src.data()) && vectorizable(dst.data());
        boolean vectorPair = s == DType.F64 ? d == DType.F32 : isFloat16Or32(s) && (isFloat16Or32(d) || d == DType.F64);
        boolean parallel = n >= PARALLEL_THRESHOLD && shareable(src.data(), dst.data());
        if (s == d) {
            copy(src.data(), dst.data(), parallel);
        } else if (!simd || !vectorPair) {
            forEachChunk(n, parallel, (from, len) -> ScalarKernels.convertRange(src, dst, from, from + len));
        } else {
            forEachChunk(n, parallel, (from, len) -> convertChunk(src, dst, from, len));
        }
    }

    /**
     * Byte copy in pieces of {@link #COPY_CHUNK_BYTES}: the JDK's copy stub switches to non-temporal stores for
     * copies above about 2.5 MB, which avoids reading the destination into the cache (measured 1.6x faster than
     * 1 MiB pieces on one core of the development machine).
     */
    private static void copy(MemorySegment from, MemorySegment to, boolean parallel) {
        long bytes = from.byteSize();
        long pieces = (bytes + COPY_CHUNK_BYTES - 1) / COPY_CHUNK_BYTES;
        LongStream indices = LongStream.range(0, pieces);
        (parallel ? indices.parallel() : indices).forEach(p -> {
            long off = p * COPY_CHUNK_BYTES;
            MemorySegment.copy(from, off, to, off, Math.min(COPY_CHUNK_BYTES, bytes - off));
        });
    }

    private static boolean isFloat16Or32(DType t) {
        return t == DType.F32 || t == DType.BF16 || t == DType.F16;
    }

    private static void convertChunk(Tensor src, Tensor dst, long from, int len) {
        MemorySegment in = src.data();
        MemorySegment out = dst.data();
        DType d = dst.dtype();
        int done;
        switch (src.dtype()) {
            case BF16 -> done = fromBf16(d, in, out, from, len);
            case F16 -> done = fromF16(d, in, out, from, len);
            case F32 -> done = fromF32(d, in, out, from, len);
            case F64 -> done = f64ToF32(in, out, from, len);
            default -> throw new IllegalStateException("no vector path from " + src.dtype());
        }
        ScalarKernels.convertRange(src, dst, from + done, from + len);
    }

    // Each loop below is written out per dtype pair: a vector value merging from several branches inside one loop
    // would be boxed by C2 and run an order of magnitude slower. Each returns how many elements it converted.

    private static int fromBf16(DType d, MemorySegment in, MemorySegment out, long from, int len) {
        int upper = F.loopBound(len);
        switch (d) {
            case F32 -> {
                for (int j = 0; j < upper; j += L) {
                    long i = from + j;
                    loadBf16(in, 2 * i).intoMemorySegment(out, 4 * i, LE);
                }
            }
            case F16 -> {
                for (int j = 0; j < upper; j += L) {
                    long i = from + j;
                    encodeF16(loadBf16(in, 2 * i)).intoMemorySegment(out, 2 * i, LE);
                }
            }
            case F64 -> {
                for (int j = 0; j < upper; j += L) {
                    long i = from + j;
                    storeF64(loadBf16(in, 2 * i), out, 8 * i);
                }
            }
            default -> throw new IllegalStateException("no vector path to " + d);
        }
        return upper;
    }

    private static int fromF16(DType d, MemorySegment in, MemorySegment out, long from, int len) {
        int upper = F.loopBound(len);
        switch (d) {
            case F32 -> {
                for (int j = 0; j < upper; j += L) {
                    long i = from + j;
                    loadF16(in, 2 * i).intoMemorySegment(out, 4 * i, LE);
                }
            }
            case BF16 -> {
                for (int j = 0; j < upper; j += L) {
                    long i = from + j;
                    encodeBf16(loadF16(in, 2 * i)).intoMemorySegment(out, 2 * i, LE);
                }
            }
            case F64 -> {
                for (int j = 0; j < upper; j += L) {
                    long i = from + j;
                    storeF64(loadF16(in, 2 * i), out, 8 * i);
                }
            }
            default -> throw new IllegalStateException("no vector path to " + d);
        }
        return upper;
    }

    private static int fromF32(DType d, MemorySegment in, MemorySegment out, long from, int len) {
        int upper = F.loopBound(len);
        switch (d) {
            case BF16 -> {
                for (int j = 0; j < upper; j += L) {
                    long i = from + j;
                    encodeBf16(FloatVector.fromMemorySegment(F, in, 4 * i, LE)).intoMemorySegment(out, 2 * i, LE);
                }
            }
            case F16 -> {
                for (int j = 0; j < upper; j += L) {
                    long i = from + j;
                    encodeF16(FloatVector.fromMemorySegment(F, in, 4 * i, LE)).intoMemorySegment(out, 2 * i, LE);
                }
            }
            case F64 -> {
                for (int j = 0; j < upper; j += L) {
                    long i = from + j;
                    storeF64(FloatVector.fromMemorySegment(F, in, 4 * i, LE), out, 8 * i);
                }
            }
            default -> throw new IllegalStateException("no vector path to " + d);
        }
        return upper;
    }

    private static int f64ToF32(MemorySegment in, MemorySegment out, long from, int len) {
        int step = D.length();
        int upper = D.loopBound(len);
        for (int j = 0; j < upper; j += step) {
            long i = from + j;
            DoubleVector v = DoubleVector.fromMemorySegment(D, in, 8 * i, LE);
            // D2F rounds to nearest even, exactly as the scalar (float) cast does
            v.convertShape(D2F, FH, 0).intoMemorySegment(out, 4 * i, LE);
        }
        return upper;
    }

    /** L bf16 values at byte offset off, widened: the bf16 bits become the top half of the float bits. */
    private static FloatVector loadBf16(MemorySegment s, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, s, off, LE).convertShape(ZERO_EXTEND_S2I, I, 0);
        return h.lanewise(LSHL, 16).reinterpretAsFloats();
    }

    /** L fp16 values at byte offset off, widened exactly as {@link FloatFormats#f16ToFloat}. */
    private static FloatVector loadF16(MemorySegment s, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, s, off, LE).convertShape(ZERO_EXTEND_S2I, I, 0);
        IntVector magnitude = h.and(0x7FFF);
        IntVector sign = h.and(0x8000).lanewise(LSHL, 16);
        // Placing the fp16 exponent and mantissa at the bottom of a float's fields and multiplying by 2^112 rebiases
        // the exponent (15 -> 127) for normals and scales subnormals exactly; infinities and NaNs are set apart.
        IntVector finite = magnitude.lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        IntVector special = magnitude.and(0x3FF).lanewise(LSHL, 13).or(0x7F80_0000);
        return finite.blend(special, magnitude.compare(GE, 0x7C00)).or(sign).reinterpretAsFloats();
    }

    /** Rounds L floats to bf16 exactly as {@link FloatFormats#floatToBf16}. */
    private static ShortVector encodeBf16(FloatVector v) {
        IntVector x = v.reinterpretAsInts();
        IntVector high = x.lanewise(LSHR, 16);
        IntVector rounded = x.add(high.and(1)).add(0x7FFF).lanewise(LSHR, 16);
        VectorMask<Integer> nan = x.and(0x7FFF_FFFF).compare(GT, 0x7F80_0000);
        return (ShortVector) rounded.blend(high.or(0x40), nan).convertShape(I2S, S, 0);
    }

    /** Rounds L floats to fp16 exactly as {@link FloatFormats#floatToF16}. */
    private static ShortVector encodeF16(FloatVector v) {
        IntVector x = v.reinterpretAsInts();
        IntVector sign = x.lanewise(LSHR, 16).and(0x8000);
        IntVector a = x.and(0x7FFF_FFFF);
        IntVector t = a.sub(FloatFormats.F16_REBIAS);
        IntVector h = t.add(t.lanewise(LSHR, 13).and(1)).add(0xFFF).lanewise(LSHR, 13);
        IntVector subnormal = a.reinterpretAsFloats().add(0.5f).reinterpretAsInts().sub(0x3F00_0000);
        h = h.blend(subnormal, a.compare(LT, FloatFormats.F16_MIN_NORMAL_AS_FLOAT));
        h = h.blend(0x7C00, a.compare(GE, FloatFormats.F16_OVERFLOW_AS_FLOAT));
        h = h.blend(a.lanewise(LSHR, 13).and(0x3FF).or(0x7E00), a.compare(GT, 0x7F80_0000));
        return (ShortVector) h.or(sign).convertShape(I2S, S, 0);
    }

    private static void storeF64(FloatVector v, MemorySegment out, long off) {
        v.convertShape(F2D, D, 0).intoMemorySegment(out, off, LE);
        v.convertShape(F2D, D, 1).intoMemorySegment(out, off + 8L * D.length(), LE);
    }

    // --------------------------------------------------------------------------------------- float[] helpers

    /** The tensor's values as a new float[] (any dtype, same rounding as {@link Tensor#getFloat}). */
    public static float[] toFloatArray(Tensor t) {
        long n = t.numel();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor " + t + " has " + n + " elements, too many for a float[]");
        }
        float[] out = new float[(int) n];
        MemorySegment in = t.data();
        boolean simd = SIMD && vectorizable(in);
        boolean parallel = n >= PARALLEL_THRESHOLD && shareable(in);
        forEachChunk(n, parallel, (from, len) -> {
            int done = 0;
            int upper = F.loopBound(len);
            if (t.dtype() == DType.F32) {
                MemorySegment.copy(in, ScalarAccess.FLOAT, 4 * from, out, (int) from, len);
                done = len;
            } else if (simd && t.dtype() == DType.BF16) {
                for (; done < upper; done += L) {
                    loadBf16(in, 2 * (from + done)).intoArray(out, (int) from + done);
                }
            } else if (simd && t.dtype() == DType.F16) {
                for (; done < upper; done += L) {
                    loadF16(in, 2 * (from + done)).intoArray(out, (int) from + done);
                }
            }
            for (long i = from + done; i < from + len; i++) {
                out[(int) i] = ScalarAccess.getFloat(t.dtype(), in, i);
            }
        });
        return out;
    }

    /** A new tensor (auto arena) of the given dtype and shape holding values, rounded as {@link #convert}. */
    public static Tensor fromFloatArray(float[] values, Shape shape, DType dtype) {
        if (shape.numel() != values.length) {
            throw new IllegalArgumentException("shape " + shape + " needs " + shape.numel() + " values, got "
                    + values.length);
        }
        Tensor dst = Tensor.allocate(dtype, shape);
        // A float[] heap segment serves the scalar path; the vector loops read the array directly.
        Tensor src = new Tensor(DType.F32, shape, MemorySegment.ofArray(values));
        MemorySegment out = dst.data();
        boolean parallel = values.length >= PARALLEL_THRESHOLD;
        forEachChunk(values.length, parallel, (from, len) -> {
            int done = 0;
            int upper = F.loopBound(len);
            int base = (int) from;
            if (dtype == DType.F32) {
                MemorySegment.copy(values, base, out, ScalarAccess.FLOAT, 4 * from, len);
                done = len;
            } else if (SIMD && dtype == DType.BF16) {
                for (; done < upper; done += L) {
                    encodeBf16(FloatVector.fromArray(F, values, base + done))
                            .intoMemorySegment(out, 2L * (base + done), LE);
                }
            } else if (SIMD && dtype == DType.F16) {
                for (; done < upper; done += L) {
                    encodeF16(FloatVector.fromArray(F, values, base + done))
                            .intoMemorySegment(out, 2L * (base + done), LE);
                }
            }
            ScalarKernels.convertRange(src, dst, from + done, from + len);
        });
        return dst;
    }

    // ---------------------------------------------------------------------------------------------- arithmetic

    /**
     * y += a * x, each element with one rounding (fused multiply-add, as {@link Math#fma}). y is F32; x is F32, BF16
     * or F16 and must not partially overlap y (x == y is fine).
     */
    public static void axpy(float a, Tensor x, Tensor y) {
        checkAxpy(x, y);
        MemorySegment xs = x.data();
        MemorySegment ys = y.data();
        if (!SIMD || !vectorizable(xs) || !vectorizable(ys)) {
            ScalarKernels.axpy(a, x, y);
            return;
        }
        long n = y.numel();
        DType xt = x.dtype();
        FloatVector av = FloatVector.broadcast(F, a);
        forEachChunk(n, n >= PARALLEL_THRESHOLD && shareable(xs, ys), (from, len) -> {
            int upper = F.loopBound(len);
            switch (xt) {
                case F32 -> {
                    for (int j = 0; j < upper; j += L) {
                        long i = from + j;
                        FloatVector xv = FloatVector.fromMemorySegment(F, xs, 4 * i, LE);
                        FloatVector yv = FloatVector.fromMemorySegment(F, ys, 4 * i, LE);
                        xv.fma(av, yv).intoMemorySegment(ys, 4 * i, LE);
                    }
                }
                case BF16 -> {
                    for (int j = 0; j < upper; j += L) {
                        long i = from + j;
                        FloatVector yv = FloatVector.fromMemorySegment(F, ys, 4 * i, LE);
                        loadBf16(xs, 2 * i).fma(av, yv).intoMemorySegment(ys, 4 * i, LE);
                    }
                }
                case F16 -> {
                    for (int j = 0; j < upper; j += L) {
                        long i = from + j;
                        FloatVector yv = FloatVector.fromMemorySegment(F, ys, 4 * i, LE);
                        loadF16(xs, 2 * i).fma(av, yv).intoMemorySegment(ys, 4 * i, LE);
                    }
                }
                default -> throw new IllegalStateException("axpy on " + xt);
            }
            for (long i = from + upper; i < from + len; i++) {
                float yi = ys.getAtIndex(ScalarAccess.FLOAT, i);
                ys.setAtIndex(ScalarAccess.FLOAT, i, Math.fma(a, ScalarAccess.getFloat(xt, xs, i), yi));
            }
        });
    }

    /** x *= a (F32). */
    public static void scale(float a, Tensor x) {
        checkF32("scale", x);
        MemorySegment xs = x.data();
        if (!SIMD || !vectorizable(xs)) {
            ScalarKernels.scale(a, x);
            return;
        }
        long n = x.numel();
        forEachChunk(n, n >= PARALLEL_THRESHOLD && shareable(xs), (from, len) -> {
            int upper = F.loopBound(len);
            for (int j = 0; j < upper; j += L) {
                long i = from + j;
                FloatVector.fromMemorySegment(F, xs, 4 * i, LE).mul(a).intoMemorySegment(xs, 4 * i, LE);
            }
            for (long i = from + upper; i < from + len; i++) {
                xs.setAtIndex(ScalarAccess.FLOAT, i, a * xs.getAtIndex(ScalarAccess.FLOAT, i));
            }
        });
    }

    /** z = x + y (all F32; z may be x or y itself). */
    public static void add(Tensor x, Tensor y, Tensor z) {
        checkAdd(x, y, z);
        MemorySegment xs = x.data();
        MemorySegment ys = y.data();
        MemorySegment zs = z.data();
        if (!SIMD || !vectorizable(xs) || !vectorizable(ys) || !vectorizable(zs)) {
            ScalarKernels.add(x, y, z);
            return;
        }
        long n = z.numel();
        forEachChunk(n, n >= PARALLEL_THRESHOLD && shareable(xs, ys, zs), (from, len) -> {
            int upper = F.loopBound(len);
            for (int j = 0; j < upper; j += L) {
                long i = from + j;
                FloatVector xv = FloatVector.fromMemorySegment(F, xs, 4 * i, LE);
                FloatVector yv = FloatVector.fromMemorySegment(F, ys, 4 * i, LE);
                xv.add(yv).intoMemorySegment(zs, 4 * i, LE);
            }
            for (long i = from + upper; i < from + len; i++) {
                float v = xs.getAtIndex(ScalarAccess.FLOAT, i) + ys.getAtIndex(ScalarAccess.FLOAT, i);
                zs.setAtIndex(ScalarAccess.FLOAT, i, v);
            }
        });
    }

    /**
     * Dot product of two F32 tensors, accumulated in double in a fixed order so the result is the same for any
     * thread count and vector width: the elements are cut into blocks of {@link #REDUCTION_BLOCK}; inside a block,
     * partial sum k (of {@link #REDUCTION_LANES}) adds the exact double products of elements k, k+16, k+32, ... in
     * index order; a block's result is ((p0 + p1) + p2) + ... + p15; the total adds the block results in index
     * order starting from 0.0.
     */
    public static double dot(Tensor x, Tensor y) {
        checkDot(x, y);
        return blockedSum(x.data(), y.data(), x.numel());
    }

    /** L2 norm of an F32 tensor: the square root of its sum of squares, reduced in {@link #dot}'s order. */
    public static double norm(Tensor x) {
        checkF32("norm", x);
        return Math.sqrt(blockedSum(x.data(), x.data(), x.numel()));
    }

    private static double blockedSum(MemorySegment xs, MemorySegment ys, long n) {
        long blocks = (n + REDUCTION_BLOCK - 1) / REDUCTION_BLOCK;
        double[] blockSums = new double[Math.toIntExact(blocks)];
        boolean simd = SIMD && vectorizable(xs) && vectorizable(ys);
        LongStream indices = LongStream.range(0, blocks);
        if (n >= PARALLEL_THRESHOLD && shareable(xs, ys)) {
            indices = indices.parallel();
        }
        indices.forEach(b -> {
            long start = b * REDUCTION_BLOCK;
            int len = (int) Math.min(REDUCTION_BLOCK, n - start);
            blockSums[(int) b] = simd ? blockSum(xs, ys, start, len) : ScalarKernels.blockSum(xs, ys, start, len);
        });
        double total = 0.0;
        for (double s : blockSums) {
            total += s;
        }
        return total;
    }

    private static double blockSum(MemorySegment xs, MemorySegment ys, long start, int len) {
        double[] lanes = new double[REDUCTION_LANES];
        int full = len - len % REDUCTION_LANES;
        int half = D.length();
        if (L == 16) {
            DoubleVector a0 = DoubleVector.zero(D);
            DoubleVector a1 = DoubleVector.zero(D);
            for (int j = 0; j < full; j += 16) {
                long off = 4 * (start + j);
                FloatVector xv = FloatVector.fromMemorySegment(F, xs, off, LE);
                FloatVector yv = FloatVector.fromMemorySegment(F, ys, off, LE);
                // float x float is exact in double, so fma and multiply-then-add give the same bits
                a0 = ((DoubleVector) xv.convertShape(F2D, D, 0)).fma((DoubleVector) yv.convertShape(F2D, D, 0), a0);
                a1 = ((DoubleVector) xv.convertShape(F2D, D, 1)).fma((DoubleVector) yv.convertShape(F2D, D, 1), a1);
            }
            a0.intoArray(lanes, 0);
            a1.intoArray(lanes, half);
        } else if (L == 8) {
            DoubleVector a0 = DoubleVector.zero(D);
            DoubleVector a1 = DoubleVector.zero(D);
            DoubleVector a2 = DoubleVector.zero(D);
            DoubleVector a3 = DoubleVector.zero(D);
            for (int j = 0; j < full; j += 16) {
                long off = 4 * (start + j);
                FloatVector xv = FloatVector.fromMemorySegment(F, xs, off, LE);
                FloatVector yv = FloatVector.fromMemorySegment(F, ys, off, LE);
                FloatVector xw = FloatVector.fromMemorySegment(F, xs, off + 32, LE);
                FloatVector yw = FloatVector.fromMemorySegment(F, ys, off + 32, LE);
                a0 = ((DoubleVector) xv.convertShape(F2D, D, 0)).fma((DoubleVector) yv.convertShape(F2D, D, 0), a0);
                a1 = ((DoubleVector) xv.convertShape(F2D, D, 1)).fma((DoubleVector) yv.convertShape(F2D, D, 1), a1);
                a2 = ((DoubleVector) xw.convertShape(F2D, D, 0)).fma((DoubleVector) yw.convertShape(F2D, D, 0), a2);
                a3 = ((DoubleVector) xw.convertShape(F2D, D, 1)).fma((DoubleVector) yw.convertShape(F2D, D, 1), a3);
            }
            a0.intoArray(lanes, 0);
            a1.intoArray(lanes, half);
            a2.intoArray(lanes, 2 * half);
            a3.intoArray(lanes, 3 * half);
        } else {
            return ScalarKernels.blockSum(xs, ys, start, len);
        }
        for (int j = full; j < len; j++) {
            double xi = xs.getAtIndex(ScalarAccess.FLOAT, start + j);
            double yi = ys.getAtIndex(ScalarAccess.FLOAT, start + j);
            lanes[j % REDUCTION_LANES] += xi * yi;
        }
        return sumLanes(lanes);
    }

    /** ((p0 + p1) + p2) + ...: the fixed order in which a block's partial sums are combined. */
    static double sumLanes(double[] lanes) {
        double s = 0.0;
        for (double p : lanes) {
            s += p;
        }
        return s;
    }

    // ------------------------------------------------------------------------------------- threading, checks

    @FunctionalInterface
    private interface ChunkBody {
        void run(long from, int len);
    }

    /** Runs body over [0, n) in chunks of {@link #CHUNK}; the chunking is the same whether parallel or not. */
    private static void forEachChunk(long n, boolean parallel, ChunkBody body) {
        long chunks = (n + CHUNK - 1) / CHUNK;
        if (parallel && chunks > 1) {
            LongStream.range(0, chunks).parallel().forEach(c -> {
                long from = c * CHUNK;
                body.run(from, (int) Math.min(CHUNK, n - from));
            });
        } else {
            for (long from = 0; from < n; from += CHUNK) {
                body.run(from, (int) Math.min(CHUNK, n - from));
            }
        }
    }

    /** True if pool threads may touch every segment (a confined arena's segments may not). */
    private static boolean shareable(MemorySegment... segments) {
        Thread other = Thread.ofVirtual().unstarted(() -> { });
        for (MemorySegment s : segments) {
            if (!s.isAccessibleBy(other)) {
                return false;
            }
        }
        return true;
    }

    /** The Vector API loads and stores native segments and heap segments backed by byte[] only. */
    private static boolean vectorizable(MemorySegment s) {
        if (s.isNative()) {
            return true;
        }
        Optional<Object> base = s.heapBase();
        return base.isPresent() && base.get() instanceof byte[];
    }

    static void checkConvert(Tensor src, Tensor dst) {
        if (src.numel() != dst.numel()) {
            throw new IllegalArgumentException("convert: source " + src + " and destination " + dst
                    + " have different element counts");
        }
        if (src.dtype() != dst.dtype() || !sameRegion(src.data(), dst.data())) {
            checkDisjoint("convert", src, dst);
        }
    }

    static void checkF32(String op, Tensor t) {
        if (t.dtype() != DType.F32) {
            throw new IllegalArgumentException(op + " needs an F32 tensor, got " + t);
        }
    }

    static void checkAxpy(Tensor x, Tensor y) {
        checkF32("axpy (y)", y);
        if (!isFloat16Or32(x.dtype())) {
            throw new IllegalArgumentException("axpy needs an F32, BF16 or F16 x, got " + x);
        }
        sameCount("axpy", x, y);
        if (x.dtype() != DType.F32 || !sameRegion(x.data(), y.data())) {
            checkDisjoint("axpy", x, y);
        }
    }

    static void checkAdd(Tensor x, Tensor y, Tensor z) {
        checkF32("add (x)", x);
        checkF32("add (y)", y);
        checkF32("add (z)", z);
        sameCount("add", x, z);
        sameCount("add", y, z);
        for (Tensor in : new Tensor[] {x, y}) {
            if (!sameRegion(in.data(), z.data())) {
                checkDisjoint("add", in, z);
            }
        }
    }

    static void checkDot(Tensor x, Tensor y) {
        checkF32("dot (x)", x);
        checkF32("dot (y)", y);
        sameCount("dot", x, y);
    }

    private static void sameCount(String op, Tensor a, Tensor b) {
        if (a.numel() != b.numel()) {
            throw new IllegalArgumentException(op + ": " + a + " and " + b + " have different element counts");
        }
    }

    private static boolean sameRegion(MemorySegment a, MemorySegment b) {
        Optional<MemorySegment> overlap = a.asOverlappingSlice(b);
        // equal sizes and a full-size overlap mean the two segments cover exactly the same bytes
        return overlap.isPresent() && a.byteSize() == b.byteSize() && overlap.get().byteSize() == a.byteSize();
    }

    private static void checkDisjoint(String op, Tensor in, Tensor out) {
        if (in.data().asOverlappingSlice(out.data()).isPresent()) {
            throw new IllegalArgumentException(op + ": destination " + out + " overlaps input " + in);
        }
    }
}
