package dev.evomerge.bench.pairs;


import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * <b>The engine's code before bf16 panels stored column pairs (kept for PairsBench's old-vs-new comparison only;
 * nothing else uses it).</b>
 *
 * <p>Packs 16 x 16 blocks of row-major bf16 bits into {@link OldPackedMatrix}'s column-contiguous panels with vector
 * shuffles (four stages of exchanging half-blocks between pairs of registers), instead of one strided store per
 * element: the resident weight sink writes every merged matrix through it. NaNs get their quiet bit on the way, as
 * {@code FloatFormats.floatToBf16} of their float widening sets it.
 */
final class OldBf16Transpose {

    /** Rows and columns of one block: 16 shorts are one 256-bit register. */
    static final int B = 16;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    /** Whether the vector path is worth taking here (the shuffles are single instructions with AVX-512 / AVX2). */
    static final boolean ENABLED = S.length() == B && ShortVector.SPECIES_PREFERRED.vectorBitSize() >= 256;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    /**
     * One stage of distance s (8, 4, 2, 1) between rows r and r + s as two two-register permutes (one instruction
     * each with AVX-512): lane c of the new row r is {@code (c & s) == 0 ? row_r[c] : row_{r+s}[c - s]}, of the new
     * row r + s {@code (c & s) != 0 ? row_{r+s}[c] : row_r[c + s]}; an index of B or more picks from the second row.
     * A record held in static finals, so that C2 sees the indices as constants.
     */
    private record Stage(int s, ShortVector low, ShortVector high) {

        static Stage of(int s) {
            short[] low = new short[B];
            short[] high = new short[B];
            for (int c = 0; c < B; c++) {
                low[c] = (short) ((c & s) == 0 ? c : B + c - s);
                high[c] = (short) ((c & s) != 0 ? B + c : c + s);
            }
            return new Stage(s, ShortVector.fromArray(S, low, 0), ShortVector.fromArray(S, high, 0));
        }
    }

    private static final Stage STAGE_8 = Stage.of(8);
    private static final Stage STAGE_4 = Stage.of(4);
    private static final Stage STAGE_2 = Stage.of(2);
    private static final Stage STAGE_1 = Stage.of(1);

    private OldBf16Transpose() {
    }

    /**
     * Transposes the 16 x 16 block whose row i is {@code src[srcOff + i*srcRowBytes ..]} (16 little-endian bf16
     * values), storing its column j at shorts {@code dstOff + j*dstStride .. +16} of {@code dst} (native byte order);
     * {@code tile} (256 shorts) is scratch. NaNs get their quiet bit unless {@code quiet} says they have it already.
     * Two stages per pass over four rows at a time, through the L1-resident tile once: the first pass reads the
     * source rows and writes the tile, the second reads the tile and writes the panel (each of the four stages a
     * pass of its own through the tile, plus copying the block into and out of it, was five times the tile's loads
     * and stores). The stages exchange different bits of the row and column index, so their order is free. One
     * method holding all sixteen rows in registers through the four stages was too large for C2 to inline the
     * vector operations into, and boxed them (1 KB of garbage per block, measured); a pass here holds eight.
     */
    static void block(MemorySegment src, long srcOff, long srcRowBytes, MemorySegment dst, long dstOff, int dstStride,
                      short[] tile, boolean quiet) {
        // stages 8 and 4 on the rows {r, r+4, r+8, r+12} straight from the source, into the tile
        for (int r = 0; r < 4; r++) {
            ShortVector a = row(src, srcOff + r * srcRowBytes, quiet);
            ShortVector b = row(src, srcOff + (r + 4) * srcRowBytes, quiet);
            ShortVector c = row(src, srcOff + (r + 8) * srcRowBytes, quiet);
            ShortVector d = row(src, srcOff + (r + 12) * srcRowBytes, quiet);
            ShortVector a8 = STAGE_8.low().selectFrom(a, c);
            ShortVector c8 = STAGE_8.high().selectFrom(a, c);
            ShortVector b8 = STAGE_8.low().selectFrom(b, d);
            ShortVector d8 = STAGE_8.high().selectFrom(b, d);
            STAGE_4.low().selectFrom(a8, b8).intoArray(tile, r * B);
            STAGE_4.high().selectFrom(a8, b8).intoArray(tile, (r + 4) * B);
            STAGE_4.low().selectFrom(c8, d8).intoArray(tile, (r + 8) * B);
            STAGE_4.high().selectFrom(c8, d8).intoArray(tile, (r + 12) * B);
        }
        // stages 2 and 1 on the rows {r, r+1, r+2, r+3} of the tile, straight into the panel: row j is column j
        for (int r = 0; r < B; r += 4) {
            ShortVector a = ShortVector.fromArray(S, tile, r * B);
            ShortVector b = ShortVector.fromArray(S, tile, (r + 1) * B);
            ShortVector c = ShortVector.fromArray(S, tile, (r + 2) * B);
            ShortVector d = ShortVector.fromArray(S, tile, (r + 3) * B);
            ShortVector a2 = STAGE_2.low().selectFrom(a, c);
            ShortVector c2 = STAGE_2.high().selectFrom(a, c);
            ShortVector b2 = STAGE_2.low().selectFrom(b, d);
            ShortVector d2 = STAGE_2.high().selectFrom(b, d);
            STAGE_1.low().selectFrom(a2, b2).intoMemorySegment(dst, 2 * (dstOff + (long) r * dstStride), NATIVE);
            STAGE_1.high().selectFrom(a2, b2).intoMemorySegment(dst, 2 * (dstOff + (long) (r + 1) * dstStride),
                    NATIVE);
            STAGE_1.low().selectFrom(c2, d2).intoMemorySegment(dst, 2 * (dstOff + (long) (r + 2) * dstStride),
                    NATIVE);
            STAGE_1.high().selectFrom(c2, d2).intoMemorySegment(dst, 2 * (dstOff + (long) (r + 3) * dstStride),
                    NATIVE);
        }
    }

    /** The 16 values at {@code off}, made quiet unless they are already. */
    private static ShortVector row(MemorySegment src, long off, boolean quiet) {
        ShortVector x = ShortVector.fromMemorySegment(S, src, off, LE);
        return quiet ? x : quiet(x);
    }

    /** x with the quiet bit set where it is a NaN (exponent all ones, mantissa not zero). */
    private static ShortVector quiet(ShortVector x) {
        return x.blend(x.or((short) 0x40), x.and((short) 0x7FFF).compare(VectorOperators.GT, (short) 0x7F80));
    }

}
