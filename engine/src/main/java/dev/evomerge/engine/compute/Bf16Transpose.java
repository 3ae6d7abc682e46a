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
 * as {@code FloatFormats.floatToBf16} of their float widening sets it. With 512-bit vectors a block of 16 rows and
 * 32 columns is instead one 16 x 16 transpose of units ({@link #wideBlock}), which stores every line of the panel
 * whole.
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
    /** 512-bit vectors: a 16 x 32 block is one 16 x 16 transpose of units, whose stores are whole 64-byte lines. */
    private static final VectorSpecies<Integer> W = IntVector.SPECIES_512;
    /** Whether the 16 x 32 blocks take {@link #wideBlock} (the machine has 512-bit vectors) or four {@link #half}s. */
    private static final boolean WIDE = IntVector.SPECIES_PREFERRED.vectorBitSize() >= 512;

    /**
     * One stage of distance s (4, 2, 1 for 8 lanes; 8, 4, 2, 1 for 16) between rows r and r + s as two two-register
     * permutes (one instruction each with AVX-512 and AVX2): lane c of the new row r is
     * {@code (c & s) == 0 ? row_r[c] : row_{r+s}[c - s]}, of the new row r + s
     * {@code (c & s) != 0 ? row_{r+s}[c] : row_r[c + s]}; an index of n (the lane count) or more picks from the
     * second row. Each stage swaps bit s of the row index with bit s of the lane index, so after all of them row j
     * holds the block's lane (pair) j. A record held in static finals, so that C2 sees the indices as constants.
     */
    private record Stage(IntVector low, IntVector high) {

        static Stage of(VectorSpecies<Integer> species, int s) {
            int n = species.length();
            int[] low = new int[n];
            int[] high = new int[n];
            for (int c = 0; c < n; c++) {
                low[c] = (c & s) == 0 ? c : n + c - s;
                high[c] = (c & s) != 0 ? n + c : c + s;
            }
            return new Stage(IntVector.fromArray(species, low, 0), IntVector.fromArray(species, high, 0));
        }
    }

    private static final Stage STAGE_4 = Stage.of(I, 4);
    private static final Stage STAGE_2 = Stage.of(I, 2);
    private static final Stage STAGE_1 = Stage.of(I, 1);
    /** The stages of {@link #wideBlock}'s 16 x 16 transpose (indices of 16 lanes, 16 and up from the second row). */
    private static final Stage WIDE_8 = Stage.of(W, 8);
    private static final Stage WIDE_4 = Stage.of(W, 4);
    private static final Stage WIDE_2 = Stage.of(W, 2);
    private static final Stage WIDE_1 = Stage.of(W, 1);

    private Bf16Transpose() {
    }

    /**
     * Packs {@code groups} groups of 16 rows of one panel, their first {@code columns} columns (a multiple of 16): row
     * i of the source at address {@code src + i*srcRowBytes}, the panel's column pair q of the group's first row at
     * {@code dst + q*stride}. Column blocks of 32 as {@link #wideBlock} (512-bit vectors) or {@link #doubleBlock},
     * a last one of 16 as {@link #block}. A
     * method of its own, without allocation, so that C2 compiles the loop the same way whoever calls it (inside the
     * caller's larger method, some compilations kept a scalar path's buffer on the heap and packed at a third of the
     * speed).
     */
    static void pack(long src, long srcRowBytes, long dst, long stride, int groups, int columns, boolean quiet) {
        long groupBytes = 4L * B; // 16 rows of a pair: 64 bytes
        int k0 = 0;
        for (; k0 + 2 * B <= columns; k0 += 2 * B) {
            for (int g = 0; g < groups; g++) {
                long from = src + g * B * srcRowBytes + 2L * k0;
                long to = dst + (k0 / 2) * stride + g * groupBytes;
                if (WIDE) {
                    wideBlock(from, srcRowBytes, to, stride);
                    if (!quiet) {
                        quietLines(to, stride);
                        quietLines(to + 8 * stride, stride);
                    }
                } else {
                    doubleBlock(from, srcRowBytes, to, stride, quiet);
                }
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

    /**
     * {@link #doubleBlock} on 512-bit vectors, without the NaN test: the block's 16 rows of 16 column pairs are one
     * 16 x 16 transpose of 32-bit units (four stages of distance 8, 4, 2, 1, each exchanging half-blocks between
     * pairs of registers), and each result, a pair's 16 rows, is one whole 64-byte line of the panel stored at once.
     * Four 8 x 8 transposes store each line in two 32-byte halves at different times, and with rows a multiple of
     * 4 KiB long read each source line twice (see {@link #doubleBlock}); measured (docs/benchmarks.md, "Panel lines
     * stored whole"): PanelPackBench one thread 4608 x 4096 18.2-19.3 GB/s against 5.2-5.5, and packing the 760M
     * re-merge's blocks on two threads 0.05-0.07 s against 0.09. One method, no calls: a vector passed to a call
     * that C2 does not inline is boxed.
     */
    static void wideBlock(long src, long srcRowBytes, long dst, long stride) {
        IntVector r0 = IntVector.fromMemorySegment(W, ALL, src, LE);
        IntVector r1 = IntVector.fromMemorySegment(W, ALL, src + srcRowBytes, LE);
        IntVector r2 = IntVector.fromMemorySegment(W, ALL, src + 2 * srcRowBytes, LE);
        IntVector r3 = IntVector.fromMemorySegment(W, ALL, src + 3 * srcRowBytes, LE);
        IntVector r4 = IntVector.fromMemorySegment(W, ALL, src + 4 * srcRowBytes, LE);
        IntVector r5 = IntVector.fromMemorySegment(W, ALL, src + 5 * srcRowBytes, LE);
        IntVector r6 = IntVector.fromMemorySegment(W, ALL, src + 6 * srcRowBytes, LE);
        IntVector r7 = IntVector.fromMemorySegment(W, ALL, src + 7 * srcRowBytes, LE);
        IntVector r8 = IntVector.fromMemorySegment(W, ALL, src + 8 * srcRowBytes, LE);
        IntVector r9 = IntVector.fromMemorySegment(W, ALL, src + 9 * srcRowBytes, LE);
        IntVector r10 = IntVector.fromMemorySegment(W, ALL, src + 10 * srcRowBytes, LE);
        IntVector r11 = IntVector.fromMemorySegment(W, ALL, src + 11 * srcRowBytes, LE);
        IntVector r12 = IntVector.fromMemorySegment(W, ALL, src + 12 * srcRowBytes, LE);
        IntVector r13 = IntVector.fromMemorySegment(W, ALL, src + 13 * srcRowBytes, LE);
        IntVector r14 = IntVector.fromMemorySegment(W, ALL, src + 14 * srcRowBytes, LE);
        IntVector r15 = IntVector.fromMemorySegment(W, ALL, src + 15 * srcRowBytes, LE);
        // distance 8
        IntVector a0 = WIDE_8.low().selectFrom(r0, r8);
        IntVector a8 = WIDE_8.high().selectFrom(r0, r8);
        IntVector a1 = WIDE_8.low().selectFrom(r1, r9);
        IntVector a9 = WIDE_8.high().selectFrom(r1, r9);
        IntVector a2 = WIDE_8.low().selectFrom(r2, r10);
        IntVector a10 = WIDE_8.high().selectFrom(r2, r10);
        IntVector a3 = WIDE_8.low().selectFrom(r3, r11);
        IntVector a11 = WIDE_8.high().selectFrom(r3, r11);
        IntVector a4 = WIDE_8.low().selectFrom(r4, r12);
        IntVector a12 = WIDE_8.high().selectFrom(r4, r12);
        IntVector a5 = WIDE_8.low().selectFrom(r5, r13);
        IntVector a13 = WIDE_8.high().selectFrom(r5, r13);
        IntVector a6 = WIDE_8.low().selectFrom(r6, r14);
        IntVector a14 = WIDE_8.high().selectFrom(r6, r14);
        IntVector a7 = WIDE_8.low().selectFrom(r7, r15);
        IntVector a15 = WIDE_8.high().selectFrom(r7, r15);
        // distance 4
        IntVector b0 = WIDE_4.low().selectFrom(a0, a4);
        IntVector b4 = WIDE_4.high().selectFrom(a0, a4);
        IntVector b1 = WIDE_4.low().selectFrom(a1, a5);
        IntVector b5 = WIDE_4.high().selectFrom(a1, a5);
        IntVector b2 = WIDE_4.low().selectFrom(a2, a6);
        IntVector b6 = WIDE_4.high().selectFrom(a2, a6);
        IntVector b3 = WIDE_4.low().selectFrom(a3, a7);
        IntVector b7 = WIDE_4.high().selectFrom(a3, a7);
        IntVector b8 = WIDE_4.low().selectFrom(a8, a12);
        IntVector b12 = WIDE_4.high().selectFrom(a8, a12);
        IntVector b9 = WIDE_4.low().selectFrom(a9, a13);
        IntVector b13 = WIDE_4.high().selectFrom(a9, a13);
        IntVector b10 = WIDE_4.low().selectFrom(a10, a14);
        IntVector b14 = WIDE_4.high().selectFrom(a10, a14);
        IntVector b11 = WIDE_4.low().selectFrom(a11, a15);
        IntVector b15 = WIDE_4.high().selectFrom(a11, a15);
        // distance 2
        IntVector c0 = WIDE_2.low().selectFrom(b0, b2);
        IntVector c2 = WIDE_2.high().selectFrom(b0, b2);
        IntVector c1 = WIDE_2.low().selectFrom(b1, b3);
        IntVector c3 = WIDE_2.high().selectFrom(b1, b3);
        IntVector c4 = WIDE_2.low().selectFrom(b4, b6);
        IntVector c6 = WIDE_2.high().selectFrom(b4, b6);
        IntVector c5 = WIDE_2.low().selectFrom(b5, b7);
        IntVector c7 = WIDE_2.high().selectFrom(b5, b7);
        IntVector c8 = WIDE_2.low().selectFrom(b8, b10);
        IntVector c10 = WIDE_2.high().selectFrom(b8, b10);
        IntVector c9 = WIDE_2.low().selectFrom(b9, b11);
        IntVector c11 = WIDE_2.high().selectFrom(b9, b11);
        IntVector c12 = WIDE_2.low().selectFrom(b12, b14);
        IntVector c14 = WIDE_2.high().selectFrom(b12, b14);
        IntVector c13 = WIDE_2.low().selectFrom(b13, b15);
        IntVector c15 = WIDE_2.high().selectFrom(b13, b15);
        // distance 1, straight into the panel: row j is pair j
        WIDE_1.low().selectFrom(c0, c1).intoMemorySegment(ALL, dst, LE);
        WIDE_1.high().selectFrom(c0, c1).intoMemorySegment(ALL, dst + stride, LE);
        WIDE_1.low().selectFrom(c2, c3).intoMemorySegment(ALL, dst + 2 * stride, LE);
        WIDE_1.high().selectFrom(c2, c3).intoMemorySegment(ALL, dst + 3 * stride, LE);
        WIDE_1.low().selectFrom(c4, c5).intoMemorySegment(ALL, dst + 4 * stride, LE);
        WIDE_1.high().selectFrom(c4, c5).intoMemorySegment(ALL, dst + 5 * stride, LE);
        WIDE_1.low().selectFrom(c6, c7).intoMemorySegment(ALL, dst + 6 * stride, LE);
        WIDE_1.high().selectFrom(c6, c7).intoMemorySegment(ALL, dst + 7 * stride, LE);
        WIDE_1.low().selectFrom(c8, c9).intoMemorySegment(ALL, dst + 8 * stride, LE);
        WIDE_1.high().selectFrom(c8, c9).intoMemorySegment(ALL, dst + 9 * stride, LE);
        WIDE_1.low().selectFrom(c10, c11).intoMemorySegment(ALL, dst + 10 * stride, LE);
        WIDE_1.high().selectFrom(c10, c11).intoMemorySegment(ALL, dst + 11 * stride, LE);
        WIDE_1.low().selectFrom(c12, c13).intoMemorySegment(ALL, dst + 12 * stride, LE);
        WIDE_1.high().selectFrom(c12, c13).intoMemorySegment(ALL, dst + 13 * stride, LE);
        WIDE_1.low().selectFrom(c14, c15).intoMemorySegment(ALL, dst + 14 * stride, LE);
        WIDE_1.high().selectFrom(c14, c15).intoMemorySegment(ALL, dst + 15 * stride, LE);
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
