package dev.evomerge.engine.compute;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/** The vector shapes the kernels use: the machine's preferred float vector and the bf16 shorts that widen into it. */
public final class Simd {

    /** Preferred float species (16 lanes with AVX-512, 8 with AVX2). */
    public static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Float lanes per vector. */
    public static final int LANES = F.length();
    /** Shorts holding one float vector's worth of bf16 values. */
    public static final VectorSpecies<Short> BF16 = VectorSpecies.of(short.class,
            VectorShape.forBitSize(F.vectorBitSize() / 2));
    /** Ints with the float species' lane count (bf16 widening goes through them). */
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());

    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private Simd() {
    }

    /** LANES bf16 values from short {@code off} of {@code src} (native byte order) widened to floats. */
    public static FloatVector loadBf16(MemorySegment src, long off) {
        return ((IntVector) ShortVector.fromMemorySegment(BF16, src, 2 * off, NATIVE)
                .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /**
     * LANES column pairs of bf16 (two values in one little-endian 32-bit unit, the even column in the low half) from
     * byte {@code byteOff} of {@code src}: {@link #bf16Low} and {@link #bf16High} widen them.
     */
    static IntVector loadBf16Pairs(MemorySegment src, long byteOff) {
        return IntVector.fromMemorySegment(I, src, byteOff, ByteOrder.LITTLE_ENDIAN);
    }

    /** The low halves of bf16 pairs as floats: shifted into the top half, where a bf16 sits in a float32. */
    static FloatVector bf16Low(IntVector pairs) {
        return pairs.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** The high halves of bf16 pairs as floats: already in the top half, the low half cleared. */
    static FloatVector bf16High(IntVector pairs) {
        return pairs.and(0xFFFF0000).reinterpretAsFloats();
    }

    /** LANES bf16 values at {@code src[off..]} widened to floats (a bf16 is the top half of a float32). */
    public static FloatVector loadBf16(short[] src, int off) {
        return ((IntVector) ShortVector.fromArray(BF16, src, off).convertShape(VectorOperators.S2I, I, 0))
                .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }
}
