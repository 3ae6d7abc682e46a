package dev.evomerge.core.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/** Seeded random tensors for kernel tests, rich in the values where conversions and kernels go wrong. */
final class TensorTestData {

    private TensorTestData() {
    }

    /**
     * A tensor whose data starts at an odd address (so no vector access is aligned), filled with random values:
     * for 16-bit floats and integers raw random bits (every NaN, subnormal, infinity appears), for F32/F64 a mix of
     * raw bits, ordinary values, exact 16-bit ties and special values.
     */
    static Tensor random(DType dtype, long n, SplittableRandom random) {
        MemorySegment block = Arena.ofAuto().allocate(n * dtype.byteSize() + 1, 64);
        Tensor t = new Tensor(dtype, Shape.of(n), block.asSlice(1, n * dtype.byteSize()));
        MemorySegment s = t.data();
        for (long i = 0; i < n; i++) {
            switch (dtype) {
                case F32 -> s.setAtIndex(ScalarAccess.FLOAT, i, randomFloat(random));
                case F64 -> s.setAtIndex(ScalarAccess.DOUBLE, i, randomDouble(random));
                case BOOL -> s.set(ValueLayout.JAVA_BYTE, i, (byte) random.nextInt(3)); // 2 is a valid non-zero
                default -> {
                    for (int b = 0; b < dtype.byteSize(); b++) {
                        s.set(ValueLayout.JAVA_BYTE, i * dtype.byteSize() + b, (byte) random.nextInt());
                    }
                }
            }
        }
        return t;
    }

    /** Like {@link #random} but F32 values are all finite and moderate (for arithmetic comparisons). */
    static Tensor randomFinite(long n, SplittableRandom random) {
        MemorySegment block = Arena.ofAuto().allocate(n * 4 + 3, 64);
        Tensor t = new Tensor(DType.F32, Shape.of(n), block.asSlice(3, n * 4));
        for (long i = 0; i < n; i++) {
            t.data().setAtIndex(ScalarAccess.FLOAT, i, (float) (random.nextGaussian() * Math.scalb(1.0,
                    random.nextInt(-20, 20))));
        }
        return t;
    }

    /** A zero-filled tensor at an odd address. */
    static Tensor zeros(DType dtype, long n) {
        MemorySegment block = Arena.ofAuto().allocate(n * dtype.byteSize() + 1, 64);
        return new Tensor(dtype, Shape.of(n), block.asSlice(1, n * dtype.byteSize()));
    }

    static Tensor copy(Tensor t) {
        Tensor c = zeros(t.dtype(), t.numel());
        MemorySegment.copy(t.data(), 0, c.data(), 0, t.byteSize());
        return c;
    }

    static float randomFloat(SplittableRandom random) {
        return switch (random.nextInt(8)) {
            case 0, 1 -> Float.intBitsToFloat(random.nextInt());
            case 2 -> Float.intBitsToFloat((random.nextInt() & 0xFFFF_0000) | 0x8000); // bf16 tie
            case 3 -> Float.intBitsToFloat((random.nextInt(0x3880_0000, 0x477F_F001) & ~0x1FFF) | 0x1000); // fp16 tie
            case 4 -> (random.nextInt(0x801) - 0x400) * 0x1p-25f; // fp16 subnormal grid and its ties
            case 5 -> new float[] {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 65504f,
                    65520f, -65520f, Float.MAX_VALUE, Float.MIN_VALUE, Float.intBitsToFloat(0x7F80_0001),
                    Float.intBitsToFloat(0xFFA0_0000)}[random.nextInt(12)];
            default -> (float) (random.nextGaussian() * Math.scalb(1.0, random.nextInt(-30, 30)));
        };
    }

    static double randomDouble(SplittableRandom random) {
        return switch (random.nextInt(6)) {
            case 0 -> Double.longBitsToDouble(random.nextLong());
            case 1 -> (double) randomFloat(random);
            case 2 -> (double) randomFloat(random) + Math.scalb(random.nextDouble() - 0.5, -30); // near 16-bit ties
            case 3 -> new double[] {0.0, -0.0, Double.NaN, Double.POSITIVE_INFINITY, 1e300, -1e-300, 3e9,
                    -9.3e18, 1 + 0x1p-8 + 0x1p-30}[random.nextInt(9)];
            default -> random.nextGaussian() * Math.scalb(1.0, random.nextInt(-40, 40));
        };
    }
}
