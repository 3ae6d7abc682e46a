package dev.evomerge.core.tensor;

/**
 * Exact conversions between float/double and the 16-bit float formats (bf16, IEEE fp16).
 *
 * <p>Widening is exact. Narrowing rounds once, to nearest with ties to even; values beyond the largest finite
 * 16-bit value round to infinity exactly when IEEE says so; subnormals are produced and read back exactly.
 * NaN stays NaN: the sign and the top payload bits are kept and the quiet bit is set, so no NaN can collapse
 * into an infinity. These are the scalar definitions; {@link Kernels} reproduces them bit for bit.
 *
 * <p>The fp16 routines are written out in integer arithmetic rather than delegating to
 * {@link Float#floatToFloat16}: the JDK leaves room for intrinsics to treat NaN payloads differently from the
 * interpreter, and the vector kernels must match a definition that cannot change under the JIT. For every non-NaN
 * input they agree with {@link Float#float16ToFloat}/{@link Float#floatToFloat16} (tested over all inputs).
 */
public final class FloatFormats {

    /** Float bits of the smallest normal fp16 value, 2^-14. */
    static final int F16_MIN_NORMAL_AS_FLOAT = 0x3880_0000;
    /** Float bits of 65520 = 65504 + half an fp16 ulp: from here on fp16 rounding gives infinity. */
    static final int F16_OVERFLOW_AS_FLOAT = 0x477F_F000;
    /** Exponent rebias between float (127) and fp16 (15), positioned in float bits. */
    static final int F16_REBIAS = (127 - 15) << 23;

    private FloatFormats() {
    }

    /** bf16 bits to float: bf16 is the top half of a float32, so widening is a shift. */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** float to bf16 bits with round-to-nearest-even. */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) {
            // NaN: keep sign and high payload, force the quiet bit so truncation cannot produce infinity.
            return (short) ((bits >>> 16) | 0x0040);
        }
        int lsb = (bits >>> 16) & 1;
        // Adding 0x7FFF plus the kept LSB carries into bit 16 exactly when the dropped half is above the tie, or on
        // the tie with an odd kept part; a carry out of the mantissa bumps the exponent (up to infinity) correctly.
        return (short) ((bits + 0x7FFF + lsb) >>> 16);
    }

    /** fp16 bits to float (exact, including subnormals; NaN payload moves to the top of the float payload). */
    public static float f16ToFloat(short bits) {
        int h = bits & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int magnitude = h & 0x7FFF;
        if (magnitude >= 0x7C00) {
            return Float.intBitsToFloat(sign | 0x7F80_0000 | ((magnitude & 0x3FF) << 13));
        }
        if (magnitude < 0x0400) {
            // zero or subnormal: the value is magnitude x 2^-24, a normal float (or zero), computed exactly.
            return Float.intBitsToFloat(sign | Float.floatToRawIntBits(magnitude * 0x1p-24f));
        }
        return Float.intBitsToFloat(sign | ((magnitude << 13) + F16_REBIAS));
    }

    /** float to fp16 bits with round-to-nearest-even (overflow to infinity, underflow through subnormals). */
    public static short floatToF16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int a = bits & 0x7FFF_FFFF;
        int h;
        if (a > 0x7F80_0000) {
            h = 0x7E00 | ((a >>> 13) & 0x3FF);
        } else if (a >= F16_OVERFLOW_AS_FLOAT) {
            h = 0x7C00;
        } else if (a >= F16_MIN_NORMAL_AS_FLOAT) {
            int t = a - F16_REBIAS;
            h = (t + 0xFFF + ((t >>> 13) & 1)) >>> 13;
        } else {
            // |f| < 2^-14: adding 0.5 (whose ulp is 2^-24, the fp16 subnormal step) makes the FPU round |f| to the
            // subnormal grid with ties to even; the low bits of the sum are then the fp16 bits (0x400 = 2^-14).
            h = Float.floatToRawIntBits(Float.intBitsToFloat(a) + 0.5f) - 0x3F00_0000;
        }
        return (short) (sign | h);
    }

    /**
     * double to fp16 with a single rounding. Going through float first would round twice: (float) d can land
     * exactly on an fp16 tie that d itself is not on (e.g. 1 + 2^-11 + 2^-40 must give 0x3C01, not 0x3C00).
     */
    public static short doubleToF16(double d) {
        return doubleToHalf(d, false);
    }

    /** double to bf16 with a single rounding (same reasoning as {@link #doubleToF16}). */
    public static short doubleToBf16(double d) {
        return doubleToHalf(d, true);
    }

    /** double to bf16 ({@code bf}) or fp16 with a single rounding. */
    private static short doubleToHalf(double d, boolean bf) {
        float f = (float) d;
        if (Double.isNaN(d) || Double.isInfinite(d) || (double) f == d) {
            return bf ? floatToBf16(f) : floatToF16(f);
        }
        // d lies strictly between f and its float neighbour on d's side; every 16-bit rounding boundary is a float,
        // so if both round alike, d (in between, rounding being monotonic) rounds the same way.
        float toward = Math.nextAfter(f, d);
        short a = bf ? floatToBf16(f) : floatToF16(f);
        short b = bf ? floatToBf16(toward) : floatToF16(toward);
        if (a == b) {
            return a;
        }
        // The boundary is f or toward itself; d is not on it, so the nearer candidate is the answer. The distances
        // are exact (Sterbenz), and an infinite candidate is never nearer than the finite one.
        double da = Math.abs(d - (bf ? bf16ToFloat(a) : f16ToFloat(a)));
        double db = Math.abs(d - (bf ? bf16ToFloat(b) : f16ToFloat(b)));
        return da < db ? a : b;
    }
}
