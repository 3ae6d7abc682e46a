package dev.evomerge.core.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Element-by-element reads and writes of little-endian tensor data: the reference path the kernels must match. */
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
            default -> (float) getDouble(t, s, i);
        };
    }

    static double getDouble(DType t, MemorySegment s, long i) {
        return switch (t) {
            case F64 -> s.getAtIndex(DOUBLE, i);
            case F32, BF16, F16 -> getFloat(t, s, i);
            case I64 -> s.getAtIndex(LONG, i);
            case I32 -> s.getAtIndex(INT, i);
            case I16 -> s.getAtIndex(SHORT, i);
            case I8 -> s.get(ValueLayout.JAVA_BYTE, i);
            case U8 -> s.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
            case BOOL -> s.get(ValueLayout.JAVA_BYTE, i) != 0 ? 1.0 : 0.0;
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
            case I64 -> s.setAtIndex(LONG, i, (long) v);
            case I32 -> s.setAtIndex(INT, i, (int) v);
            case I16 -> s.setAtIndex(SHORT, i, (short) (long) v);
            case I8 -> s.set(ValueLayout.JAVA_BYTE, i, (byte) (long) v);
            case U8 -> s.set(ValueLayout.JAVA_BYTE, i, (byte) (long) v);
            case BOOL -> s.set(ValueLayout.JAVA_BYTE, i, (byte) (v != 0 ? 1 : 0));
        }
    }
}
