package dev.evomerge.core.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Element-by-element reads and writes of little-endian tensor data: the reference path the kernels must match.
 *
 * <p>Value semantics: float types round once to nearest-even when narrowing; integers read exactly (U8 zero-extends,
 * BOOL reads 0/1); a float stored into an integer type truncates toward zero (NaN gives 0, values beyond int64
 * saturate) and then keeps the low bits (two's-complement wrap, as a C cast to the narrower type does); a value
 * stored into BOOL becomes 1 when it is non-zero (NaN included).
 */
final class ScalarAccess {

    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private ScalarAccess() {
    }

    static float getFloat(DType t, MemorySegment s, long i) {
        return switch (t) {
            case F32 -> s.getAtIndex(FLOAT, i);
            case BF16 -> FloatFormats.bf16ToFloat(s.getAtIndex(SHORT, i));
            case F16 -> FloatFormats.f16ToFloat(s.getAtIndex(SHORT, i));
            case F64 -> (float) s.getAtIndex(DOUBLE, i);
            case I64 -> (float) s.getAtIndex(LONG, i);
            default -> (float) getDouble(t, s, i);
        };
    }

    static double getDouble(DType t, MemorySegment s, long i) {
        return switch (t) {
            case F64 -> s.getAtIndex(DOUBLE, i);
            case F32, BF16, F16 -> getFloat(t, s, i);
            case I64, I32, I16, I8, U8, BOOL -> getLong(t, s, i);
        };
    }

    /** Element i as long: exact for integer types; float types truncate toward zero (NaN gives 0). */
    static long getLong(DType t, MemorySegment s, long i) {
        return switch (t) {
            case I64 -> s.getAtIndex(LONG, i);
            case I32 -> s.getAtIndex(INT, i);
            case I16 -> s.getAtIndex(SHORT, i);
            case I8 -> s.get(ValueLayout.JAVA_BYTE, i);
            case U8 -> s.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
            case BOOL -> s.get(ValueLayout.JAVA_BYTE, i) != 0 ? 1 : 0;
            case F64, F32, F16, BF16 -> (long) getDouble(t, s, i);
        };
    }

    static void setFloat(DType t, MemorySegment s, long i, float v) {
        switch (t) {
            case F32 -> s.setAtIndex(FLOAT, i, v);
            case BF16 -> s.setAtIndex(SHORT, i, FloatFormats.floatToBf16(v));
            case F16 -> s.setAtIndex(SHORT, i, FloatFormats.floatToF16(v));
            default -> setDouble(t, s, i, v);
        }
    }

    static void setDouble(DType t, MemorySegment s, long i, double v) {
        switch (t) {
            case F64 -> s.setAtIndex(DOUBLE, i, v);
            case F32 -> s.setAtIndex(FLOAT, i, (float) v);
            case BF16 -> s.setAtIndex(SHORT, i, FloatFormats.doubleToBf16(v));
            case F16 -> s.setAtIndex(SHORT, i, FloatFormats.doubleToF16(v));
            case BOOL -> s.set(ValueLayout.JAVA_BYTE, i, (byte) (v != 0 ? 1 : 0));
            default -> setLong(t, s, i, (long) v);
        }
    }

    /** Stores v: integer types keep the low bits, BOOL stores v != 0, float types round once to nearest-even. */
    static void setLong(DType t, MemorySegment s, long i, long v) {
        switch (t) {
            case I64 -> s.setAtIndex(LONG, i, v);
            case I32 -> s.setAtIndex(INT, i, (int) v);
            case I16 -> s.setAtIndex(SHORT, i, (short) v);
            case I8, U8 -> s.set(ValueLayout.JAVA_BYTE, i, (byte) v);
            case BOOL -> s.set(ValueLayout.JAVA_BYTE, i, (byte) (v != 0 ? 1 : 0));
            case F64 -> s.setAtIndex(DOUBLE, i, (double) v);
            case F32 -> s.setAtIndex(FLOAT, i, (float) v);
            case BF16 -> s.setAtIndex(SHORT, i, FloatFormats.doubleToBf16(roundToOddDouble(v)));
            case F16 -> s.setAtIndex(SHORT, i, FloatFormats.doubleToF16(roundToOddDouble(v)));
        }
    }

    /**
     * v as a double rounded to odd: truncated to 53 significant bits, with the last bit set if anything was cut.
     * Rounding that result to nearest-even at 24 or fewer bits equals rounding v directly (the classic
     * round-to-odd property needs two spare bits; we have 29), so large int64 values round only once.
     */
    static double roundToOddDouble(long v) {
        if (v == Long.MIN_VALUE) {
            return -0x1p63;
        }
        long a = Math.abs(v);
        int excess = 64 - Long.numberOfLeadingZeros(a) - 53;
        if (excess <= 0) {
            return v;
        }
        long kept = a >>> excess;
        if ((kept << excess) != a) {
            kept |= 1;
        }
        double r = Math.scalb((double) kept, excess);
        return v < 0 ? -r : r;
    }
}
