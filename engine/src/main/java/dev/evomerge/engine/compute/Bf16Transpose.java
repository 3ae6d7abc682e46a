package dev.evomerge.engine.compute;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteOrder;

import static dev.evomerge.core.tensor.NativeMemory.ALL;

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
     * Packs {@code groups} groups of 16 rows of one panel, their first {@code columns} columns (a multiple of 16): row
     * i of the source at address {@code src + i*srcRowBytes}, the panel's column pair q of the group's first row at
     * {@code dst + q*stride}. Column blocks of 32 as {@link #doubleBlock}, a last one of 16 as {@link #block}. A
     * method of its own, without allocation, so that C2 compiles the loop the same way whoever calls it (inside the
     * caller's larger method, some compilations kept a scalar path's buffer on the heap and packed at a third of the
     * speed).
     */
    static void pack(long src, long srcRowBytes, long dst, long stride, int groups, int columns, boolean quiet) {
        long groupBytes = 4L * B; // 16 rows of a pair: 64 bytes
        int k0 = 0;
        for (; k0 + 2 * B <= columns; k0 += 2 * B) {
            for (int g = 0; g < groups; g++) {
                doubleBlock(src + g * B * srcRowBytes + 2L * k0, srcRowBytes, dst + (k0 / 2) * stride + g * groupBytes,
                        stride, quiet);
            }
        }
        for (; k0 < columns; k0 += B) {
            for (int g = 0; g < groups; g++) {
                block(src + g * B * srcRowBytes + 2L * k0, srcRowBytes, dst + (k0 / 2) * stride + g * groupBytes,
                        stride, quiet);
            }
        }
    }

    /**
     * Transposes the 16 x 16 block whose row i is at address {@code src + i*srcRowBytes} (16 little-endian bf16
     * values), storing the 16 rows' values of its column pair q (row i's even column at short 2i, its odd column at
     * 2i + 1) at the 64 bytes from address {@code dst + q*stride} (little-endian). Addresses, through
     * {@link dev.evomerge.core.tensor.NativeMemory#ALL}: the caller has checked both ranges. NaNs get their quiet
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
    static void block(long src, long srcRowBytes, long dst, long stride, boolean quiet) {
        half(src, srcRowBytes, dst, stride);
        half(src + P * srcRowBytes, srcRowBytes, dst + 4 * P, stride);
        if (!quiet) {
            quietLines(dst, stride);
        }
    }

    /**
     * {@link #block} for the 16 x 32 block of two adjacent 16-column blocks (pairs 0-7 and 8-15 of it), in an order
     * that reads each of its 64-byte source lines (a row's 32 columns) from L1 while it is there: the two 8 x 8
     * transposes of rows 0-7 one after the other, then those of rows 8-15. Column by column, a panel's 48 rows of
     * one 16-column block took 48 lines in one L1 set wherever a row is a multiple of 4 KiB long (a 4096-column
     * matrix's rows), and each line was read twice (measured: packing 2048-column rows 2.4x slower than 2080).
     */
    static void doubleBlock(long src, long srcRowBytes, long dst, long stride, boolean quiet) {
        long right = 8 * stride; // pair 8 of the block: the right-hand 16 columns
        half(src, srcRowBytes, dst, stride);
        half(src + 4 * P, srcRowBytes, dst + right, stride);
        half(src + P * srcRowBytes, srcRowBytes, dst + 4 * P, stride);
        half(src + P * srcRowBytes + 4 * P, srcRowBytes, dst + right + 4 * P, stride);
        if (!quiet) {
            quietLines(dst, stride);
            quietLines(dst + right, stride);
        }
    }

    /** The NaN test over the block's eight 64-byte lines (16 rows of a pair each) at {@code dst + q*stride}. */
    private static void quietLines(long dst, long stride) {
        for (int q = 0; q < P; q++) {
            for (int o = 0; o < LINE; o += Q.vectorByteSize()) {
                long at = dst + q * stride + o;
                quiet(IntVector.fromMemorySegment(Q, ALL, at, LE)).intoMemorySegment(ALL, at, LE);
            }
        }
    }

    /** One 8 x 8 transpose of pairs: rows from address {@code src}, pair q's eight units to {@code dst + q*stride}. */
    private static void half(long src, long srcRowBytes, long dst, long stride) {
        IntVector r0 = IntVector.fromMemorySegment(I, ALL, src, LE);
        IntVector r1 = IntVector.fromMemorySegment(I, ALL, src + srcRowBytes, LE);
        IntVector r2 = IntVector.fromMemorySegment(I, ALL, src + 2 * srcRowBytes, LE);
        IntVector r3 = IntVector.fromMemorySegment(I, ALL, src + 3 * srcRowBytes, LE);
        IntVector r4 = IntVector.fromMemorySegment(I, ALL, src + 4 * srcRowBytes, LE);
        IntVector r5 = IntVector.fromMemorySegment(I, ALL, src + 5 * srcRowBytes, LE);
        IntVector r6 = IntVector.fromMemorySegment(I, ALL, src + 6 * srcRowBytes, LE);
        IntVector r7 = IntVector.fromMemorySegment(I, ALL, src + 7 * srcRowBytes, LE);
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
        STAGE_1.low().selectFrom(b0, b1).intoMemorySegment(ALL, dst, LE);
        STAGE_1.high().selectFrom(b0, b1).intoMemorySegment(ALL, dst + stride, LE);
        STAGE_1.low().selectFrom(b2, b3).intoMemorySegment(ALL, dst + 2 * stride, LE);
        STAGE_1.high().selectFrom(b2, b3).intoMemorySegment(ALL, dst + 3 * stride, LE);
        STAGE_1.low().selectFrom(b4, b5).intoMemorySegment(ALL, dst + 4 * stride, LE);
        STAGE_1.high().selectFrom(b4, b5).intoMemorySegment(ALL, dst + 5 * stride, LE);
        STAGE_1.low().selectFrom(b6, b7).intoMemorySegment(ALL, dst + 6 * stride, LE);
        STAGE_1.high().selectFrom(b6, b7).intoMemorySegment(ALL, dst + 7 * stride, LE);
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
