package dev.evomerge.engine.compute;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Packs 16 x 16 blocks of row-major bf16 bits into {@link PackedMatrix}'s bf16 panels, which keep a row's column
 * pairs together: a block is 16 rows of 8 column pairs (32-bit units), transposed as two 8 x 8 blocks of units with
 * vector permutes (three stages of exchanging half-blocks between pairs of registers), instead of one strided store
 * per element. The resident weight sink writes every merged matrix through it. NaNs get their quiet bit on the way,
 * as {@code FloatFormats.floatToBf16} of their float widening sets it.
 */
final class Bf16Transpose {

    /** Rows and columns of one block: 16 bf16 values (8 pairs) are one 256-bit register. */
    static final int B = 16;
    /** Rows (and pairs) of one 8 x 8 unit transpose. */
    private static final int P = 8;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Bytes of one pair of a block's 16 rows: one cache line. */
    private static final int LINE = 64;
    /** The NaN test's vectors: a whole line at once where the machine has 512-bit vectors. */
    private static final VectorSpecies<Integer> Q = IntVector.SPECIES_PREFERRED.vectorByteSize() >= LINE
            ? IntVector.SPECIES_512 : I;
    /** Whether the vector path is worth taking here (the permutes are single instructions with AVX-512 / AVX2). */
    static final boolean ENABLED = I.length() == P
            && IntVector.SPECIES_PREFERRED.vectorBitSize() >= 256;

    /**
     * One stage of distance s (4, 2, 1) between rows r and r + s as two two-register permutes (one instruction each
     * with AVX-512 and AVX2): lane c of the new row r is {@code (c & s) == 0 ? row_r[c] : row_{r+s}[c - s]}, of the
     * new row r + s {@code (c & s) != 0 ? row_{r+s}[c] : row_r[c + s]}; an index of P or more picks from the second
     * row. Each stage swaps bit s of the row index with bit s of the lane index, so after all three row j holds the
     * block's lane (pair) j. A record held in static finals, so that C2 sees the indices as constants.
     */
    private record Stage(IntVector low, IntVector high) {

        static Stage of(int s) {
            int[] low = new int[P];
            int[] high = new int[P];
            for (int c = 0; c < P; c++) {
                low[c] = (c & s) == 0 ? c : P + c - s;
                high[c] = (c & s) != 0 ? P + c : c + s;
            }
            return new Stage(IntVector.fromArray(I, low, 0), IntVector.fromArray(I, high, 0));
        }
    }

    private static final Stage STAGE_4 = Stage.of(4);
    private static final Stage STAGE_2 = Stage.of(2);
    private static final Stage STAGE_1 = Stage.of(1);

    private Bf16Transpose() {
    }

    /**
     * Transposes the 16 x 16 block whose row i is {@code src[srcOff + i*srcRowBytes ..]} (16 little-endian bf16
     * values), storing the 16 rows' values of its column pair q (row i's even column at short 2i, its odd column at
     * 2i + 1) at shorts {@code dstOff + q*pairStride .. +32} of {@code dst} (little-endian). NaNs get their quiet
     * bit unless {@code quiet} says they have it already. Rows 0-7 and rows 8-15 are separate 8 x 8 transposes whose
     * stores of a pair are adjacent: together one 64-byte line of the panel.
     *
     * <p>Each 8 x 8 transpose is a method of its own that C2 compiles whole, with no heap allocation (measured:
     * docs/benchmarks.md, "bf16 panels in column pairs"). With the NaN test inside it (per row, behind one branch,
     * or in a second copy of the method that always tests) its parse exceeded C2's node budget, the last rows'
     * loads were left as calls and their vectors boxed (256-768 bytes of garbage per block, measured, and half the
     * speed), so the NaN test is a second pass over the block's eight lines, just written and still in L1; rows from
     * the merge kernels skip it.
     */
    static void block(MemorySegment src, long srcOff, long srcRowBytes, MemorySegment dst, long dstOff, int pairStride,
                      boolean quiet) {
        long dstByte = 2 * dstOff;
        long stride = 2L * pairStride;
        half(src, srcOff, srcRowBytes, dst, dstByte, stride);
        half(src, srcOff + P * srcRowBytes, srcRowBytes, dst, dstByte + 4 * P, stride);
        if (!quiet) {
            quietLines(dst, dstByte, stride);
        }
    }

    /** The NaN test over the block's eight 64-byte lines (16 rows of a pair each) at {@code dstByte + q*stride}. */
    private static void quietLines(MemorySegment dst, long dstByte, long stride) {
        for (int q = 0; q < P; q++) {
            for (int o = 0; o < LINE; o += Q.vectorByteSize()) {
                long at = dstByte + q * stride + o;
                quiet(IntVector.fromMemorySegment(Q, dst, at, LE)).intoMemorySegment(dst, at, LE);
            }
        }
    }

    /** One 8 x 8 transpose of pairs: rows from {@code src}, pair q's eight units to byte {@code dstByte + q*stride}. */
    private static void half(MemorySegment src, long srcOff, long srcRowBytes, MemorySegment dst, long dstByte,
                             long stride) {
        IntVector r0 = IntVector.fromMemorySegment(I, src, srcOff, LE);
        IntVector r1 = IntVector.fromMemorySegment(I, src, srcOff + srcRowBytes, LE);
        IntVector r2 = IntVector.fromMemorySegment(I, src, srcOff + 2 * srcRowBytes, LE);
        IntVector r3 = IntVector.fromMemorySegment(I, src, srcOff + 3 * srcRowBytes, LE);
        IntVector r4 = IntVector.fromMemorySegment(I, src, srcOff + 4 * srcRowBytes, LE);
        IntVector r5 = IntVector.fromMemorySegment(I, src, srcOff + 5 * srcRowBytes, LE);
        IntVector r6 = IntVector.fromMemorySegment(I, src, srcOff + 6 * srcRowBytes, LE);
        IntVector r7 = IntVector.fromMemorySegment(I, src, srcOff + 7 * srcRowBytes, LE);
        // distance 4
        IntVector a0 = STAGE_4.low().selectFrom(r0, r4);
        IntVector a4 = STAGE_4.high().selectFrom(r0, r4);
        IntVector a1 = STAGE_4.low().selectFrom(r1, r5);
        IntVector a5 = STAGE_4.high().selectFrom(r1, r5);
        IntVector a2 = STAGE_4.low().selectFrom(r2, r6);
        IntVector a6 = STAGE_4.high().selectFrom(r2, r6);
        IntVector a3 = STAGE_4.low().selectFrom(r3, r7);
        IntVector a7 = STAGE_4.high().selectFrom(r3, r7);
        // distance 2
        IntVector b0 = STAGE_2.low().selectFrom(a0, a2);
        IntVector b2 = STAGE_2.high().selectFrom(a0, a2);
        IntVector b1 = STAGE_2.low().selectFrom(a1, a3);
        IntVector b3 = STAGE_2.high().selectFrom(a1, a3);
        IntVector b4 = STAGE_2.low().selectFrom(a4, a6);
        IntVector b6 = STAGE_2.high().selectFrom(a4, a6);
        IntVector b5 = STAGE_2.low().selectFrom(a5, a7);
        IntVector b7 = STAGE_2.high().selectFrom(a5, a7);
        // distance 1, straight into the panel: row j is pair j
        STAGE_1.low().selectFrom(b0, b1).intoMemorySegment(dst, dstByte, LE);
        STAGE_1.high().selectFrom(b0, b1).intoMemorySegment(dst, dstByte + stride, LE);
        STAGE_1.low().selectFrom(b2, b3).intoMemorySegment(dst, dstByte + 2 * stride, LE);
        STAGE_1.high().selectFrom(b2, b3).intoMemorySegment(dst, dstByte + 3 * stride, LE);
        STAGE_1.low().selectFrom(b4, b5).intoMemorySegment(dst, dstByte + 4 * stride, LE);
        STAGE_1.high().selectFrom(b4, b5).intoMemorySegment(dst, dstByte + 5 * stride, LE);
        STAGE_1.low().selectFrom(b6, b7).intoMemorySegment(dst, dstByte + 6 * stride, LE);
        STAGE_1.high().selectFrom(b6, b7).intoMemorySegment(dst, dstByte + 7 * stride, LE);
    }

    /**
     * x with the quiet bit set in each half that is a NaN (exponent all ones, mantissa not zero: magnitude above
     * 0x7F80), with plain integer operations on both halves at once: adding 0x7F to a 15-bit magnitude carries into
     * its bit 15 exactly when it is above 0x7F80 (and never beyond), and that bit shifted right by 9 is the quiet
     * bit 0x40. Kept under C2's 35-byte limit for inlining a call site however cold (a vector argument of a call
     * that is not inlined is boxed), and without masks, whose operations made the method exceed C2's node budget.
     */
    private static IntVector quiet(IntVector x) {
        return x.or(x.and(0x7FFF_7FFF).add(0x007F_007F).and(0x8000_8000).lanewise(VectorOperators.LSHR, 9));
    }
}
