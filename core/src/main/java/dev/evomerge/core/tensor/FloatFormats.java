package dev.evomerge.core.tensor;

/**
 * Exact conversions between float and the 16-bit float formats. Narrowing rounds to nearest, ties to even;
 * NaN stays NaN (sign and the top payload bits kept, quiet bit set), infinities and subnormals are preserved.
 */
public final class FloatFormats {

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
        return (short) ((bits + 0x7FFF + lsb) >>> 16);
    }

    /** fp16 bits to float (exact, including subnormals). */
    public static float f16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    /** float to fp16 bits with round-to-nearest-even (overflow to infinity, underflow through subnormals). */
    public static short floatToF16(float f) {
        return Float.floatToFloat16(f);
    }

    /** double to float16 with a single rounding (avoids double rounding through float). */
    public static short doubleToF16(double d) {
        float f = (float) d;
        if (Double.isNaN(d) || Double.isInfinite(d) || (double) f == d) {
            return floatToF16(f);
        }
        // (float) d already rounded once; fix the rare double-rounding case by nudging f toward d
        // so that only the fp16 rounding remains and it sees the correct side of the tie.
        float toward = Math.nextAfter(f, d);
        short a = floatToF16(f);
        short b = floatToF16(toward);
        if (a == b) {
            return a;
        }
        // f lies exactly on an fp16 tie or boundary; decide from d itself.
        float fa = f16ToFloat(a);
        float fb = f16ToFloat(b);
        double da = Math.abs(d - fa);
        double db = Math.abs(d - fb);
        if (da != db) {
            return da < db ? a : b;
        }
        return (a & 1) == 0 ? a : b;
    }

    /** double to bf16 with a single rounding. */
    public static short doubleToBf16(double d) {
        float f = (float) d;
        if (Double.isNaN(d) || Double.isInfinite(d) || (double) f == d) {
            return floatToBf16(f);
        }
        float toward = Math.nextAfter(f, d);
        short a = floatToBf16(f);
        short b = floatToBf16(toward);
        if (a == b) {
            return a;
        }
        float fa = bf16ToFloat(a);
        float fb = bf16ToFloat(b);
        double da = Math.abs(d - fa);
        double db = Math.abs(d - fb);
        if (da != db) {
            return da < db ? a : b;
        }
        return (a & 1) == 0 ? a : b;
    }
}
