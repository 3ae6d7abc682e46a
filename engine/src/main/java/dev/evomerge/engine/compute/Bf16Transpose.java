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

    // For stage distance s (8, 4, 2, 1): H_s, the lanes c with (c & s) != 0, L_s the others, and the shuffles
    // moving lanes down (lane c takes lane c - s) and up (lane c takes lane c + s).
    private static final VectorMask<Short> H8 = VectorMask.fromLong(S, highLanes(8));
    private static final VectorMask<Short> L8 = VectorMask.fromLong(S, ~highLanes(8) & 0xFFFFL);
    private static final VectorShuffle<Short> D8 = VectorShuffle.fromOp(S, c -> (c - 8) & (B - 1));
    private static final VectorShuffle<Short> U8 = VectorShuffle.fromOp(S, c -> (c + 8) & (B - 1));
    private static final VectorMask<Short> H4 = VectorMask.fromLong(S, highLanes(4));
    private static final VectorMask<Short> L4 = VectorMask.fromLong(S, ~highLanes(4) & 0xFFFFL);
    private static final VectorShuffle<Short> D4 = VectorShuffle.fromOp(S, c -> (c - 4) & (B - 1));
    private static final VectorShuffle<Short> U4 = VectorShuffle.fromOp(S, c -> (c + 4) & (B - 1));
    private static final VectorMask<Short> H2 = VectorMask.fromLong(S, highLanes(2));
    private static final VectorMask<Short> L2 = VectorMask.fromLong(S, ~highLanes(2) & 0xFFFFL);
    private static final VectorShuffle<Short> D2 = VectorShuffle.fromOp(S, c -> (c - 2) & (B - 1));
    private static final VectorShuffle<Short> U2 = VectorShuffle.fromOp(S, c -> (c + 2) & (B - 1));
    private static final VectorMask<Short> H1 = VectorMask.fromLong(S, highLanes(1));
    private static final VectorMask<Short> L1 = VectorMask.fromLong(S, ~highLanes(1) & 0xFFFFL);
    private static final VectorShuffle<Short> D1 = VectorShuffle.fromOp(S, c -> (c - 1) & (B - 1));
    private static final VectorShuffle<Short> U1 = VectorShuffle.fromOp(S, c -> (c + 1) & (B - 1));

    /** Bits c of the lanes c with (c & s) != 0. */
    private static long highLanes(int s) {
        long bits = 0;
        for (int c = 0; c < B; c++) {
            if ((c & s) != 0) {
                bits |= 1L << c;
            }
        }
        return bits;
    }

    private Bf16Transpose() {
    }

    /**
     * Transposes the 16 x 16 block whose row i is {@code src[srcOff + i*srcRowBytes ..]} (16 little-endian bf16
     * values), storing its column j at {@code dst[dstOff + j*dstStride .. +16]}; {@code tile} (256 shorts) is scratch.
     * The block goes through the L1-resident tile stage by stage, each stage a small loop: one method holding all
     * sixteen rows in registers through the four stages was too large for C2 to inline the vector operations into,
     * and boxed them (1 KB of garbage per block, measured).
     */
    static void block(MemorySegment src, long srcOff, long srcRowBytes, short[] dst, int dstOff, int dstStride,
                      short[] tile) {
        for (int i = 0; i < B; i++) {
            quiet(ShortVector.fromMemorySegment(S, src, srcOff + i * srcRowBytes, LE)).intoArray(tile, i * B);
        }
        stage(tile, 8, H8, L8, D8, U8);
        stage(tile, 4, H4, L4, D4, U4);
        stage(tile, 2, H2, L2, D2, U2);
        stage(tile, 1, H1, L1, D1, U1);
        for (int j = 0; j < B; j++) {
            ShortVector.fromArray(S, tile, j * B).intoArray(dst, dstOff + j * dstStride);
        }
    }

    /**
     * One stage of distance s: between rows r and r + s (r & s == 0), the lanes c & s != 0 of row r are exchanged
     * with the lanes c & s == 0 of row r + s. After the stages 8, 4, 2 and 1, row i holds column i.
     */
    private static void stage(short[] t, int s, VectorMask<Short> high, VectorMask<Short> low,
                              VectorShuffle<Short> down, VectorShuffle<Short> up) {
        for (int r = 0; r < B; r++) {
            if ((r & s) != 0) {
                continue;
            }
            ShortVector a = ShortVector.fromArray(S, t, r * B);
            ShortVector b = ShortVector.fromArray(S, t, (r + s) * B);
            a.blend(b.rearrange(down), high).intoArray(t, r * B);
            b.blend(a.rearrange(up), low).intoArray(t, (r + s) * B);
        }
    }

    /** x with the quiet bit set where it is a NaN (exponent all ones, mantissa not zero). */
    private static ShortVector quiet(ShortVector x) {
        return x.blend(x.or((short) 0x40), x.and((short) 0x7FFF).compare(VectorOperators.GT, (short) 0x7F80));
    }

}
