package dev.evomerge.engine.compute;

import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Packs 16 x 16 blocks of row-major bf16 bits into {@link PackedMatrix}'s column-contiguous panels with vector
 * shuffles (four stages of exchanging half-blocks between pairs of registers), instead of one strided store per
 * element: the resident weight sink writes every merged matrix through it. NaNs get their quiet bit on the way, as
 * {@code FloatFormats.floatToBf16} of their float widening sets it.
 */
final class Bf16Transpose {

    /** Rows and columns of one block: 16 shorts are one 256-bit register. */
    static final int B = 16;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    /** Whether the vector path is worth taking here (the shuffles are single instructions with AVX-512 / AVX2). */
    static final boolean ENABLED = S.length() == B && ShortVector.SPECIES_PREFERRED.vectorBitSize() >= 256;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** For stage s (distance 8, 4, 2, 1): lanes c with (c & s) != 0, and the shuffles moving lanes by s. */
    private static final VectorMask<Short>[] HIGH;
    private static final VectorShuffle<Short>[] DOWN;
    private static final VectorShuffle<Short>[] UP;

    static {
        @SuppressWarnings("unchecked")
        VectorMask<Short>[] high = new VectorMask[4];
        @SuppressWarnings("unchecked")
        VectorShuffle<Short>[] down = new VectorShuffle[4];
        @SuppressWarnings("unchecked")
        VectorShuffle<Short>[] up = new VectorShuffle[4];
        for (int t = 0; t < 4; t++) {
            int s = 8 >> t;
            boolean[] h = new boolean[B];
            int[] d = new int[B];
            int[] u = new int[B];
            for (int c = 0; c < B; c++) {
                h[c] = (c & s) != 0;
                d[c] = (c - s) & (B - 1); // lane c takes lane c - s
                u[c] = (c + s) & (B - 1); // lane c takes lane c + s
            }
            high[t] = VectorMask.fromArray(S, h, 0);
            down[t] = VectorShuffle.fromArray(S, d, 0);
            up[t] = VectorShuffle.fromArray(S, u, 0);
        }
        HIGH = high;
        DOWN = down;
        UP = up;
    }

    private Bf16Transpose() {
    }

    /**
     * Transposes the 16 x 16 block whose row i is {@code src[srcOff + i*srcRowBytes ..]} (16 little-endian bf16
     * values), storing its column j at {@code dst[dstOff + j*dstStride .. +16]}.
     */
    static void block(MemorySegment src, long srcOff, long srcRowBytes, short[] dst, int dstOff, int dstStride) {
        // sixteen named registers, not an array: C2 keeps these in vector registers, an array of vectors is boxed
        ShortVector v0 = quiet(ShortVector.fromMemorySegment(S, src, srcOff + 0 * srcRowBytes, LE));
        ShortVector v1 = quiet(ShortVector.fromMemorySegment(S, src, srcOff + 1 * srcRowBytes, LE));
        ShortVector v2 = quiet(ShortVector.fromMemorySegment(S, src, srcOff + 2 * srcRowBytes, LE));
        ShortVector v3 = quiet(ShortVector.fromMemorySegment(S, src, srcOff + 3 * srcRowBytes, LE));
        ShortVector v4 = quiet(ShortVector.fromMemorySegment(S, src, srcOff + 4 * srcRowBytes, LE));
        ShortVector v5 = quiet(ShortVector.fromMemorySegment(S, src, srcOff + 5 * srcRowBytes, LE));
        ShortVector v6 = quiet(ShortVector.fromMemorySegment(S, src, srcOff + 6 * srcRowBytes, LE));
        ShortVector v7 = quiet(ShortVector.fromMemorySegment(S, src, srcOff + 7 * srcRowBytes, LE));
        ShortVector v8 = quiet(ShortVector.fromMemorySegment(S, src, srcOff + 8 * srcRowBytes, LE));
        ShortVector v9 = quiet(ShortVector.fromMemorySegment(S, src, srcOff + 9 * srcRowBytes, LE));
        ShortVector v10 = quiet(ShortVector.fromMemorySegment(S, src, srcOff + 10 * srcRowBytes, LE));
        ShortVector v11 = quiet(ShortVector.fromMemorySegment(S, src, srcOff + 11 * srcRowBytes, LE));
        ShortVector v12 = quiet(ShortVector.fromMemorySegment(S, src, srcOff + 12 * srcRowBytes, LE));
        ShortVector v13 = quiet(ShortVector.fromMemorySegment(S, src, srcOff + 13 * srcRowBytes, LE));
        ShortVector v14 = quiet(ShortVector.fromMemorySegment(S, src, srcOff + 14 * srcRowBytes, LE));
        ShortVector v15 = quiet(ShortVector.fromMemorySegment(S, src, srcOff + 15 * srcRowBytes, LE));
        // stage t exchanges, between rows r and r + s (r & s == 0), the lanes c & s != 0 of row r with the lanes
        // c & s == 0 of row r + s: after the four stages, row i holds column i
        ShortVector a;
        VectorMask<Short> h0 = HIGH[0];
        VectorMask<Short> l0 = h0.not();
        VectorShuffle<Short> d0 = DOWN[0];
        VectorShuffle<Short> u0 = UP[0];
        a = v0;
        v0 = a.blend(v8.rearrange(d0), h0);
        v8 = v8.blend(a.rearrange(u0), l0);
        a = v1;
        v1 = a.blend(v9.rearrange(d0), h0);
        v9 = v9.blend(a.rearrange(u0), l0);
        a = v2;
        v2 = a.blend(v10.rearrange(d0), h0);
        v10 = v10.blend(a.rearrange(u0), l0);
        a = v3;
        v3 = a.blend(v11.rearrange(d0), h0);
        v11 = v11.blend(a.rearrange(u0), l0);
        a = v4;
        v4 = a.blend(v12.rearrange(d0), h0);
        v12 = v12.blend(a.rearrange(u0), l0);
        a = v5;
        v5 = a.blend(v13.rearrange(d0), h0);
        v13 = v13.blend(a.rearrange(u0), l0);
        a = v6;
        v6 = a.blend(v14.rearrange(d0), h0);
        v14 = v14.blend(a.rearrange(u0), l0);
        a = v7;
        v7 = a.blend(v15.rearrange(d0), h0);
        v15 = v15.blend(a.rearrange(u0), l0);
        VectorMask<Short> h1 = HIGH[1];
        VectorMask<Short> l1 = h1.not();
        VectorShuffle<Short> d1 = DOWN[1];
        VectorShuffle<Short> u1 = UP[1];
        a = v0;
        v0 = a.blend(v4.rearrange(d1), h1);
        v4 = v4.blend(a.rearrange(u1), l1);
        a = v1;
        v1 = a.blend(v5.rearrange(d1), h1);
        v5 = v5.blend(a.rearrange(u1), l1);
        a = v2;
        v2 = a.blend(v6.rearrange(d1), h1);
        v6 = v6.blend(a.rearrange(u1), l1);
        a = v3;
        v3 = a.blend(v7.rearrange(d1), h1);
        v7 = v7.blend(a.rearrange(u1), l1);
        a = v8;
        v8 = a.blend(v12.rearrange(d1), h1);
        v12 = v12.blend(a.rearrange(u1), l1);
        a = v9;
        v9 = a.blend(v13.rearrange(d1), h1);
        v13 = v13.blend(a.rearrange(u1), l1);
        a = v10;
        v10 = a.blend(v14.rearrange(d1), h1);
        v14 = v14.blend(a.rearrange(u1), l1);
        a = v11;
        v11 = a.blend(v15.rearrange(d1), h1);
        v15 = v15.blend(a.rearrange(u1), l1);
        VectorMask<Short> h2 = HIGH[2];
        VectorMask<Short> l2 = h2.not();
        VectorShuffle<Short> d2 = DOWN[2];
        VectorShuffle<Short> u2 = UP[2];
        a = v0;
        v0 = a.blend(v2.rearrange(d2), h2);
        v2 = v2.blend(a.rearrange(u2), l2);
        a = v1;
        v1 = a.blend(v3.rearrange(d2), h2);
        v3 = v3.blend(a.rearrange(u2), l2);
        a = v4;
        v4 = a.blend(v6.rearrange(d2), h2);
        v6 = v6.blend(a.rearrange(u2), l2);
        a = v5;
        v5 = a.blend(v7.rearrange(d2), h2);
        v7 = v7.blend(a.rearrange(u2), l2);
        a = v8;
        v8 = a.blend(v10.rearrange(d2), h2);
        v10 = v10.blend(a.rearrange(u2), l2);
        a = v9;
        v9 = a.blend(v11.rearrange(d2), h2);
        v11 = v11.blend(a.rearrange(u2), l2);
        a = v12;
        v12 = a.blend(v14.rearrange(d2), h2);
        v14 = v14.blend(a.rearrange(u2), l2);
        a = v13;
        v13 = a.blend(v15.rearrange(d2), h2);
        v15 = v15.blend(a.rearrange(u2), l2);
        VectorMask<Short> h3 = HIGH[3];
        VectorMask<Short> l3 = h3.not();
        VectorShuffle<Short> d3 = DOWN[3];
        VectorShuffle<Short> u3 = UP[3];
        a = v0;
        v0 = a.blend(v1.rearrange(d3), h3);
        v1 = v1.blend(a.rearrange(u3), l3);
        a = v2;
        v2 = a.blend(v3.rearrange(d3), h3);
        v3 = v3.blend(a.rearrange(u3), l3);
        a = v4;
        v4 = a.blend(v5.rearrange(d3), h3);
        v5 = v5.blend(a.rearrange(u3), l3);
        a = v6;
        v6 = a.blend(v7.rearrange(d3), h3);
        v7 = v7.blend(a.rearrange(u3), l3);
        a = v8;
        v8 = a.blend(v9.rearrange(d3), h3);
        v9 = v9.blend(a.rearrange(u3), l3);
        a = v10;
        v10 = a.blend(v11.rearrange(d3), h3);
        v11 = v11.blend(a.rearrange(u3), l3);
        a = v12;
        v12 = a.blend(v13.rearrange(d3), h3);
        v13 = v13.blend(a.rearrange(u3), l3);
        a = v14;
        v14 = a.blend(v15.rearrange(d3), h3);
        v15 = v15.blend(a.rearrange(u3), l3);
        v0.intoArray(dst, dstOff + 0 * dstStride);
        v1.intoArray(dst, dstOff + 1 * dstStride);
        v2.intoArray(dst, dstOff + 2 * dstStride);
        v3.intoArray(dst, dstOff + 3 * dstStride);
        v4.intoArray(dst, dstOff + 4 * dstStride);
        v5.intoArray(dst, dstOff + 5 * dstStride);
        v6.intoArray(dst, dstOff + 6 * dstStride);
        v7.intoArray(dst, dstOff + 7 * dstStride);
        v8.intoArray(dst, dstOff + 8 * dstStride);
        v9.intoArray(dst, dstOff + 9 * dstStride);
        v10.intoArray(dst, dstOff + 10 * dstStride);
        v11.intoArray(dst, dstOff + 11 * dstStride);
        v12.intoArray(dst, dstOff + 12 * dstStride);
        v13.intoArray(dst, dstOff + 13 * dstStride);
        v14.intoArray(dst, dstOff + 14 * dstStride);
        v15.intoArray(dst, dstOff + 15 * dstStride);
    }

    /** x with the quiet bit set where it is a NaN (exponent all ones, mantissa not zero). */
    private static ShortVector quiet(ShortVector x) {
        return x.blend(x.or((short) 0x40), x.and((short) 0x7FFF).compare(VectorOperators.GT, (short) 0x7F80));
    }

}
