package dev.evomerge.core.tensor;

import java.lang.foreign.MemorySegment;

/**
 * The scalar, single-threaded definition of every {@link Kernels} operation, one element at a time. {@link Kernels}
 * must produce exactly these bits (up to the payload of NaNs made by arithmetic, which Java leaves unspecified);
 * tests compare the two. Argument checks are the same as in {@link Kernels}.
 */
public final class ScalarKernels {

    private ScalarKernels() {
    }

    /**
     * Converts src into dst element by element (same element count, any dtypes, no overlap unless identical).
     * Same dtype copies the bytes. Otherwise the value goes through the widest exact carrier: integer sources as
     * long, F64 as double, F32/F16/BF16 as float; the store rounds once (see {@link ScalarAccess}).
     */
    public static void convert(Tensor src, Tensor dst) {
        Kernels.checkConvert(src, dst);
        convertRange(src, dst, 0, src.numel());
    }

    static void convertRange(Tensor src, Tensor dst, long from, long to) {
        DType s = src.dtype();
        DType d = dst.dtype();
        MemorySegment in = src.data();
        MemorySegment out = dst.data();
        if (s == d) {
            long size = s.byteSize();
            MemorySegment.copy(in, from * size, out, from * size, (to - from) * size);
        } else if (!s.isFloating()) {
            for (long i = from; i < to; i++) {
                ScalarAccess.setLong(d, out, i, ScalarAccess.getLong(s, in, i));
            }
        } else if (s == DType.F64) {
            for (long i = from; i < to; i++) {
                ScalarAccess.setDouble(d, out, i, ScalarAccess.getDouble(s, in, i));
            }
        } else {
            for (long i = from; i < to; i++) {
                ScalarAccess.setFloat(d, out, i, ScalarAccess.getFloat(s, in, i));
            }
        }
    }

    /** y[i] = fma(a, x[i], y[i]) (one rounding); x is F32, BF16 or F16 (widened exactly), y is F32. */
    public static void axpy(float a, Tensor x, Tensor y) {
        Kernels.checkAxpy(x, y);
        for (long i = 0, n = y.numel(); i < n; i++) {
            float yi = y.data().getAtIndex(ScalarAccess.FLOAT, i);
            y.data().setAtIndex(ScalarAccess.FLOAT, i, Math.fma(a, x.getFloat(i), yi));
        }
    }

    /** x[i] = a * x[i] (F32). */
    public static void scale(float a, Tensor x) {
        Kernels.checkF32("scale", x);
        for (long i = 0, n = x.numel(); i < n; i++) {
            x.data().setAtIndex(ScalarAccess.FLOAT, i, a * x.data().getAtIndex(ScalarAccess.FLOAT, i));
        }
    }

    /** z[i] = x[i] + y[i] (all F32). */
    public static void add(Tensor x, Tensor y, Tensor z) {
        Kernels.checkAdd(x, y, z);
        for (long i = 0, n = z.numel(); i < n; i++) {
            float v = x.data().getAtIndex(ScalarAccess.FLOAT, i) + y.data().getAtIndex(ScalarAccess.FLOAT, i);
            z.data().setAtIndex(ScalarAccess.FLOAT, i, v);
        }
    }

    /** Dot product of two F32 tensors in the fixed blocked order documented on {@link Kernels#dot}. */
    public static double dot(Tensor x, Tensor y) {
        Kernels.checkDot(x, y);
        return blockedSum(x.data(), y.data(), x.numel());
    }

    /** L2 norm of an F32 tensor: sqrt of the blocked sum of squares (see {@link Kernels#dot}). */
    public static double norm(Tensor x) {
        Kernels.checkF32("norm", x);
        return Math.sqrt(blockedSum(x.data(), x.data(), x.numel()));
    }

    private static double blockedSum(MemorySegment x, MemorySegment y, long n) {
        double total = 0.0;
        for (long start = 0; start < n; start += Kernels.REDUCTION_BLOCK) {
            int len = (int) Math.min(Kernels.REDUCTION_BLOCK, n - start);
            total += blockSum(x, y, start, len);
        }
        return total;
    }

    /** One block: lane k accumulates the products of elements start+k, start+k+16, ... in index order. */
    static double blockSum(MemorySegment x, MemorySegment y, long start, int len) {
        double[] lanes = new double[Kernels.REDUCTION_LANES];
        for (int j = 0; j < len; j++) {
            double xi = x.getAtIndex(ScalarAccess.FLOAT, start + j);
            double yi = y.getAtIndex(ScalarAccess.FLOAT, start + j);
            // the product of two floats is exact in double, so this is one rounding per step, as in the vector fma
            lanes[j % Kernels.REDUCTION_LANES] += xi * yi;
        }
        return Kernels.sumLanes(lanes);
    }
}
