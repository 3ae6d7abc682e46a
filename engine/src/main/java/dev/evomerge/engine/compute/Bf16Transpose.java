package dev.evomerge.engine.compute;

import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
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

    private Bf16Transpose() {
    }

    /**
     * Transposes the 16 x 16 block whose row i is {@code src[srcOff + i*srcRowBytes ..]} (16 little-endian bf16
     * values), storing its column j at shorts {@code dstOff + j*dstStride .. +16} of {@code dst} (native byte order);
     * {@code tile} (256 shorts) is scratch.
     * The block goes through the L1-resident tile stage by stage, each stage a small loop: one method holding all
     * sixteen rows in registers through the four stages was too large for C2 to inline the vector operations into,
     * and boxed them (1 KB of garbage per block, measured).
     */
    static void block(MemorySegment src, long srcOff, long srcRowBytes, MemorySegment dst, long dstOff, int dstStride,
                      short[] tile) {
        for (int i = 0; i < B; i++) {
            quiet(ShortVector.fromMemorySegment(S, src, srcOff + i * srcRowBytes, LE)).intoArray(tile, i * B);
        }
        stage(tile, STAGE_8);
        stage(tile, STAGE_4);
        stage(tile, STAGE_2);
        stage(tile, STAGE_1);
        for (int j = 0; j < B; j++) {
            ShortVector.fromArray(S, tile, j * B).intoMemorySegment(dst, 2 * (dstOff + (long) j * dstStride), NATIVE);
        }
    }

    /**
     * One stage of distance s: between rows r and r + s (r & s == 0), the lanes c & s != 0 of row r are exchanged
     * with the lanes c & s == 0 of row r + s. After the stages 8, 4, 2 and 1, row i holds column i.
     */
    private static void stage(short[] t, Stage stage) {
        int s = stage.s();
        for (int r = 0; r < B; r++) {
            if ((r & s) != 0) {
                continue;
            }
            ShortVector a = ShortVector.fromArray(S, t, r * B);
            ShortVector b = ShortVector.fromArray(S, t, (r + s) * B);
            stage.low().selectFrom(a, b).intoArray(t, r * B);
            stage.high().selectFrom(a, b).intoArray(t, (r + s) * B);
        }
    }

    /** x with the quiet bit set where it is a NaN (exponent all ones, mantissa not zero). */
    private static ShortVector quiet(ShortVector x) {
        return x.blend(x.or((short) 0x40), x.and((short) 0x7FFF).compare(VectorOperators.GT, (short) 0x7F80));
    }

}
