package dev.evomerge.engine.compute;

import dev.evomerge.core.tensor.NativeMemory;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteOrder;

/** The vector shapes the kernels use: the machine's preferred float vector, and bf16 column pairs widened into it. */
public final class Simd {

    /** Preferred float species (16 lanes with AVX-512, 8 with AVX2). */
    public static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Float lanes per vector. */
    public static final int LANES = F.length();
    /** Ints with the float species' lane count (bf16 widening goes through them). */
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());

    private Simd() {
    }

    /**
     * LANES column pairs of bf16 (two values in one little-endian 32-bit unit, the even column in the low half) from
     * native address {@code address}, which the caller has checked ({@link NativeMemory#address}):
     * {@link #bf16Low} and {@link #bf16High} widen them.
     */
    static IntVector loadBf16Pairs(long address) {
        return IntVector.fromMemorySegment(I, NativeMemory.ALL, address, ByteOrder.LITTLE_ENDIAN);
    }

    /** The low halves of bf16 pairs as floats: shifted into the top half, where a bf16 sits in a float32. */
    static FloatVector bf16Low(IntVector pairs) {
        return pairs.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** The high halves of bf16 pairs as floats: already in the top half, the low half cleared. */
    static FloatVector bf16High(IntVector pairs) {
        return pairs.and(0xFFFF0000).reinterpretAsFloats();
    }
}
