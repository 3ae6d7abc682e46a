package dev.evomerge.bench;

import dev.evomerge.core.io.HugePages;
import jdk.incubator.vector.*;

import java.lang.foreign.*;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.*;
import java.util.*;
import java.util.stream.IntStream;

import static dev.evomerge.core.tensor.NativeMemory.ALL;

/** Throwaway: task_arithmetic into bf16 panels, scratch+pack vs fused tiles vs row-major output. */
/**
 * Throwaway measurement of issue 19's eighth round (docs/benchmarks.md, "Panel lines stored whole"), kept for one
 * commit: task_arithmetic (the wide bf16 loop, two fine-tunes) over the three mapped 760M files of
 * {@code bench/big760m.sh} (-Dmodels=DIR, default /tmp/big760m) read as one matrix of COLS columns, into bf16 panels
 * (PackedMatrix's layout) by several schedules, two threads, median of ROUNDS. Variants: read (the three inputs
 * only), kern (kernel into a 48-row scratch), pack (the scratch into the panels), copy (the scratch copied), scratch
 * (kern then pack per block: the engine's way), row (kernel into row-major memory: the resident way), fused (16-row
 * tiles of CHUNK columns, packed as computed), fused8 (8-row tiles), fused48 (48-row tiles of CHUNK columns), inter
 * (the previous block packed one 16 x 32 block per -Devery=16 kernel steps), packseq / scrseq (a column block's 48
 * lines staged and stored in order), kernv (the kernel with Veltkamp rounding), real (PackedMatrix.setRowsBf16).
 * -Dt16=true packs with one 16 x 16 transpose per 16 x 32 block (whole lines), false with four 8 x 8 ones.
 * Usage: {@code PanelStoreBench COLS CHUNK ROUNDS VARIANT,...}
 */
public final class PanelStoreBench {
    static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final int NR = 48;
    static int COLS;
    static int CHUNK; // columns per row visit in the fused variant
    static float W0 = 0.37f, W1 = 0.61f;

    // ---- kernel: the wide task_arithmetic loop, two fine-tunes, no normalize/scale
    static long ta(long b, long x0, long x1, float w0, float w1, long from, long to, long o, long shift) {
        IntVector half = IntVector.broadcast(I, 0x7FFF);
        IntVector one = IntVector.broadcast(I, 1);
        IntVector top = IntVector.broadcast(I, 0xFFFF_0000);
        long i = from;
        for (; i + 32 <= to; i += 32) {
            IntVector v = IntVector.fromMemorySegment(I, ALL, b + 2 * i, LE);
            FloatVector be = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector bo = v.and(top).reinterpretAsFloats();
            v = IntVector.fromMemorySegment(I, ALL, x0 + 2 * i, LE);
            IntVector de = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().sub(be).reinterpretAsInts();
            IntVector dO = v.and(top).reinterpretAsFloats().sub(bo).reinterpretAsInts();
            de = de.add(half).add(de.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            dO = dO.add(half).add(dO.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            IntVector pe = de.reinterpretAsFloats().mul(w0).reinterpretAsInts();
            IntVector po = dO.reinterpretAsFloats().mul(w0).reinterpretAsInts();
            pe = pe.add(half).add(pe.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            po = po.add(half).add(po.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            FloatVector me = FloatVector.zero(F).add(pe.reinterpretAsFloats());
            FloatVector mo = FloatVector.zero(F).add(po.reinterpretAsFloats());
            v = IntVector.fromMemorySegment(I, ALL, x1 + 2 * i, LE);
            de = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().sub(be).reinterpretAsInts();
            dO = v.and(top).reinterpretAsFloats().sub(bo).reinterpretAsInts();
            de = de.add(half).add(de.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            dO = dO.add(half).add(dO.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            pe = de.reinterpretAsFloats().mul(w1).reinterpretAsInts();
            po = dO.reinterpretAsFloats().mul(w1).reinterpretAsInts();
            pe = pe.add(half).add(pe.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            po = po.add(half).add(po.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            me = me.add(pe.reinterpretAsFloats());
            mo = mo.add(po.reinterpretAsFloats());
            IntVector ve = me.reinterpretAsInts();
            IntVector vo = mo.reinterpretAsInts();
            ve = ve.add(half).add(ve.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            vo = vo.add(half).add(vo.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            IntVector re = be.add(ve.reinterpretAsFloats()).reinterpretAsInts();
            IntVector ro = bo.add(vo.reinterpretAsFloats()).reinterpretAsInts();
            IntVector ee = re.add(re.lanewise(VectorOperators.LSHR, 16).and(one)).add(half)
                    .lanewise(VectorOperators.LSHR, 16);
            IntVector eo = ro.add(ro.lanewise(VectorOperators.LSHR, 16).and(one)).add(half).and(top);
            eo.or(ee).intoMemorySegment(ALL, o + 2 * (i - shift), LE);
        }
        return i;
    }

    static long taPack(long b, long x0, long x1, float w0, float w1, long from, long to, long o, long shift, long psrc, long pdst, int pending) {
        int j = 0; int it = 0;
        IntVector half = IntVector.broadcast(I, 0x7FFF);
        IntVector one = IntVector.broadcast(I, 1);
        IntVector top = IntVector.broadcast(I, 0xFFFF_0000);
        long i = from;
        for (; i + 32 <= to; i += 32) {
            IntVector v = IntVector.fromMemorySegment(I, ALL, b + 2 * i, LE);
            FloatVector be = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector bo = v.and(top).reinterpretAsFloats();
            v = IntVector.fromMemorySegment(I, ALL, x0 + 2 * i, LE);
            IntVector de = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().sub(be).reinterpretAsInts();
            IntVector dO = v.and(top).reinterpretAsFloats().sub(bo).reinterpretAsInts();
            de = de.add(half).add(de.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            dO = dO.add(half).add(dO.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            IntVector pe = de.reinterpretAsFloats().mul(w0).reinterpretAsInts();
            IntVector po = dO.reinterpretAsFloats().mul(w0).reinterpretAsInts();
            pe = pe.add(half).add(pe.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            po = po.add(half).add(po.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            FloatVector me = FloatVector.zero(F).add(pe.reinterpretAsFloats());
            FloatVector mo = FloatVector.zero(F).add(po.reinterpretAsFloats());
            v = IntVector.fromMemorySegment(I, ALL, x1 + 2 * i, LE);
            de = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().sub(be).reinterpretAsInts();
            dO = v.and(top).reinterpretAsFloats().sub(bo).reinterpretAsInts();
            de = de.add(half).add(de.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            dO = dO.add(half).add(dO.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            pe = de.reinterpretAsFloats().mul(w1).reinterpretAsInts();
            po = dO.reinterpretAsFloats().mul(w1).reinterpretAsInts();
            pe = pe.add(half).add(pe.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            po = po.add(half).add(po.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            me = me.add(pe.reinterpretAsFloats());
            mo = mo.add(po.reinterpretAsFloats());
            IntVector ve = me.reinterpretAsInts();
            IntVector vo = mo.reinterpretAsInts();
            ve = ve.add(half).add(ve.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            vo = vo.add(half).add(vo.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            IntVector re = be.add(ve.reinterpretAsFloats()).reinterpretAsInts();
            IntVector ro = bo.add(vo.reinterpretAsFloats()).reinterpretAsInts();
            IntVector ee = re.add(re.lanewise(VectorOperators.LSHR, 16).and(one)).add(half)
                    .lanewise(VectorOperators.LSHR, 16);
            IntVector eo = ro.add(ro.lanewise(VectorOperators.LSHR, 16).and(one)).add(half).and(top);
            eo.or(ee).intoMemorySegment(ALL, o + 2 * (i - shift), LE);
            if ((++it & (EVERY - 1)) == 0 && j < pending) {
                packOne(psrc, pdst, j++);
            }
        }
        while (j < pending) packOne(psrc, pdst, j++);
        return i;
    }


    static int EVERY = Integer.getInteger("every", 16);
    static void packOne(long scr, long panel, int j) {
        int k0 = (j / 3) * 32, g = j % 3;
        long stride = 4L * NR;
        tr(scr + 16L * g * 2 * COLS + 2L * k0, 2L * COLS, panel + (k0 / 2) * stride + 64L * g, stride);
    }
    static final ThreadLocal<MemorySegment> SCR2 = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(2L * NR * 8192, 64));
    static void inter(int p0, int p1) {
        long a = SCR.get().address(), bb = SCR2.get().address();
        long prevPanel = 0; int pending = 0;
        for (int p = p0; p < p1; p++) {
            long from = (long) p * NR * COLS, to = from + (long) NR * COLS;
            taPack(B, X0, X1, W0, W1, from, to, a, from, bb, prevPanel, pending);
            prevPanel = OUT + 2L * from; pending = 3 * COLS / 32;
            long t = a; a = bb; bb = t;
        }
        for (int j = 0; j < pending; j++) packOne(bb, prevPanel, j);
    }
    static long tav(long b, long x0, long x1, float w0, float w1, long from, long to, long o, long shift) {
        IntVector half = IntVector.broadcast(I, 0x7FFF);
        IntVector one = IntVector.broadcast(I, 1);
        IntVector top = IntVector.broadcast(I, 0xFFFF_0000);
        long i = from;
        for (; i + 32 <= to; i += 32) {
            IntVector v = IntVector.fromMemorySegment(I, ALL, b + 2 * i, LE);
            FloatVector be = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector bo = v.and(top).reinterpretAsFloats();
            v = IntVector.fromMemorySegment(I, ALL, x0 + 2 * i, LE);
            IntVector de = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().sub(be).reinterpretAsInts();
            IntVector dO = v.and(top).reinterpretAsFloats().sub(bo).reinterpretAsInts();
            { FloatVector f_ = de.reinterpretAsFloats(); FloatVector c_ = f_.fma(K, f_); de = c_.sub(c_.sub(f_)).reinterpretAsInts(); }
            { FloatVector f_ = dO.reinterpretAsFloats(); FloatVector c_ = f_.fma(K, f_); dO = c_.sub(c_.sub(f_)).reinterpretAsInts(); }
            IntVector pe = de.reinterpretAsFloats().mul(w0).reinterpretAsInts();
            IntVector po = dO.reinterpretAsFloats().mul(w0).reinterpretAsInts();
            { FloatVector f_ = pe.reinterpretAsFloats(); FloatVector c_ = f_.fma(K, f_); pe = c_.sub(c_.sub(f_)).reinterpretAsInts(); }
            { FloatVector f_ = po.reinterpretAsFloats(); FloatVector c_ = f_.fma(K, f_); po = c_.sub(c_.sub(f_)).reinterpretAsInts(); }
            FloatVector me = FloatVector.zero(F).add(pe.reinterpretAsFloats());
            FloatVector mo = FloatVector.zero(F).add(po.reinterpretAsFloats());
            v = IntVector.fromMemorySegment(I, ALL, x1 + 2 * i, LE);
            de = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().sub(be).reinterpretAsInts();
            dO = v.and(top).reinterpretAsFloats().sub(bo).reinterpretAsInts();
            { FloatVector f_ = de.reinterpretAsFloats(); FloatVector c_ = f_.fma(K, f_); de = c_.sub(c_.sub(f_)).reinterpretAsInts(); }
            { FloatVector f_ = dO.reinterpretAsFloats(); FloatVector c_ = f_.fma(K, f_); dO = c_.sub(c_.sub(f_)).reinterpretAsInts(); }
            pe = de.reinterpretAsFloats().mul(w1).reinterpretAsInts();
            po = dO.reinterpretAsFloats().mul(w1).reinterpretAsInts();
            { FloatVector f_ = pe.reinterpretAsFloats(); FloatVector c_ = f_.fma(K, f_); pe = c_.sub(c_.sub(f_)).reinterpretAsInts(); }
            { FloatVector f_ = po.reinterpretAsFloats(); FloatVector c_ = f_.fma(K, f_); po = c_.sub(c_.sub(f_)).reinterpretAsInts(); }
            me = me.add(pe.reinterpretAsFloats());
            mo = mo.add(po.reinterpretAsFloats());
            IntVector ve = me.reinterpretAsInts();
            IntVector vo = mo.reinterpretAsInts();
            { FloatVector f_ = ve.reinterpretAsFloats(); FloatVector c_ = f_.fma(K, f_); ve = c_.sub(c_.sub(f_)).reinterpretAsInts(); }
            { FloatVector f_ = vo.reinterpretAsFloats(); FloatVector c_ = f_.fma(K, f_); vo = c_.sub(c_.sub(f_)).reinterpretAsInts(); }
            IntVector re = be.add(ve.reinterpretAsFloats()).reinterpretAsInts();
            IntVector ro = bo.add(vo.reinterpretAsFloats()).reinterpretAsInts();
            IntVector ee = re.add(re.lanewise(VectorOperators.LSHR, 16).and(one)).add(half)
                    .lanewise(VectorOperators.LSHR, 16);
            IntVector eo = ro.add(ro.lanewise(VectorOperators.LSHR, 16).and(one)).add(half).and(top);
            eo.or(ee).intoMemorySegment(ALL, o + 2 * (i - shift), LE);
        }
        return i;
    }

    static final FloatVector K = FloatVector.broadcast(F, 65536f);
    /** Veltkamp: RNE to bf16 for normal floats. */
    static IntVector vk(IntVector x) {
        FloatVector f = x.reinterpretAsFloats();
        FloatVector c = f.fma(K, f);
        return c.sub(c.sub(f)).reinterpretAsInts();
    }
    // ---- 512-bit 16x16 dword transpose
    record Stage(IntVector low, IntVector high) {
        static Stage of(int s) {
            int[] low = new int[16], high = new int[16];
            for (int c = 0; c < 16; c++) {
                low[c] = (c & s) == 0 ? c : 16 + c - s;
                high[c] = (c & s) != 0 ? 16 + c : c + s;
            }
            return new Stage(IntVector.fromArray(I, low, 0), IntVector.fromArray(I, high, 0));
        }
    }
    static final Stage S8 = Stage.of(8), S4 = Stage.of(4), S2 = Stage.of(2), S1 = Stage.of(1);

    /** rows r at src + r*srcRow (16 dwords each), pair q (16 rows) to dst + q*stride. */
    static void t16(long src, long srcRow, long dst, long stride) {
        IntVector r0 = IntVector.fromMemorySegment(I, ALL, src, LE);
        IntVector r1 = IntVector.fromMemorySegment(I, ALL, src + srcRow, LE);
        IntVector r2 = IntVector.fromMemorySegment(I, ALL, src + 2 * srcRow, LE);
        IntVector r3 = IntVector.fromMemorySegment(I, ALL, src + 3 * srcRow, LE);
        IntVector r4 = IntVector.fromMemorySegment(I, ALL, src + 4 * srcRow, LE);
        IntVector r5 = IntVector.fromMemorySegment(I, ALL, src + 5 * srcRow, LE);
        IntVector r6 = IntVector.fromMemorySegment(I, ALL, src + 6 * srcRow, LE);
        IntVector r7 = IntVector.fromMemorySegment(I, ALL, src + 7 * srcRow, LE);
        IntVector r8 = IntVector.fromMemorySegment(I, ALL, src + 8 * srcRow, LE);
        IntVector r9 = IntVector.fromMemorySegment(I, ALL, src + 9 * srcRow, LE);
        IntVector r10 = IntVector.fromMemorySegment(I, ALL, src + 10 * srcRow, LE);
        IntVector r11 = IntVector.fromMemorySegment(I, ALL, src + 11 * srcRow, LE);
        IntVector r12 = IntVector.fromMemorySegment(I, ALL, src + 12 * srcRow, LE);
        IntVector r13 = IntVector.fromMemorySegment(I, ALL, src + 13 * srcRow, LE);
        IntVector r14 = IntVector.fromMemorySegment(I, ALL, src + 14 * srcRow, LE);
        IntVector r15 = IntVector.fromMemorySegment(I, ALL, src + 15 * srcRow, LE);
        IntVector a0 = S8.low().selectFrom(r0, r8), a8 = S8.high().selectFrom(r0, r8);
        IntVector a1 = S8.low().selectFrom(r1, r9), a9 = S8.high().selectFrom(r1, r9);
        IntVector a2 = S8.low().selectFrom(r2, r10), a10 = S8.high().selectFrom(r2, r10);
        IntVector a3 = S8.low().selectFrom(r3, r11), a11 = S8.high().selectFrom(r3, r11);
        IntVector a4 = S8.low().selectFrom(r4, r12), a12 = S8.high().selectFrom(r4, r12);
        IntVector a5 = S8.low().selectFrom(r5, r13), a13 = S8.high().selectFrom(r5, r13);
        IntVector a6 = S8.low().selectFrom(r6, r14), a14 = S8.high().selectFrom(r6, r14);
        IntVector a7 = S8.low().selectFrom(r7, r15), a15 = S8.high().selectFrom(r7, r15);
        IntVector lb0 = S4.low().selectFrom(a0, a4), lb4 = S4.high().selectFrom(a0, a4);
        IntVector lb1 = S4.low().selectFrom(a1, a5), lb5 = S4.high().selectFrom(a1, a5);
        IntVector lb2 = S4.low().selectFrom(a2, a6), lb6 = S4.high().selectFrom(a2, a6);
        IntVector lb3 = S4.low().selectFrom(a3, a7), lb7 = S4.high().selectFrom(a3, a7);
        IntVector lc0 = S2.low().selectFrom(lb0, lb2), lc2 = S2.high().selectFrom(lb0, lb2);
        IntVector lc1 = S2.low().selectFrom(lb1, lb3), lc3 = S2.high().selectFrom(lb1, lb3);
        IntVector lc4 = S2.low().selectFrom(lb4, lb6), lc6 = S2.high().selectFrom(lb4, lb6);
        IntVector lc5 = S2.low().selectFrom(lb5, lb7), lc7 = S2.high().selectFrom(lb5, lb7);
        S1.low().selectFrom(lc0, lc1).intoMemorySegment(ALL, dst + 0 * stride, LE);
        S1.high().selectFrom(lc0, lc1).intoMemorySegment(ALL, dst + 1 * stride, LE);
        S1.low().selectFrom(lc2, lc3).intoMemorySegment(ALL, dst + 2 * stride, LE);
        S1.high().selectFrom(lc2, lc3).intoMemorySegment(ALL, dst + 3 * stride, LE);
        S1.low().selectFrom(lc4, lc5).intoMemorySegment(ALL, dst + 4 * stride, LE);
        S1.high().selectFrom(lc4, lc5).intoMemorySegment(ALL, dst + 5 * stride, LE);
        S1.low().selectFrom(lc6, lc7).intoMemorySegment(ALL, dst + 6 * stride, LE);
        S1.high().selectFrom(lc6, lc7).intoMemorySegment(ALL, dst + 7 * stride, LE);
        IntVector hb0 = S4.low().selectFrom(a8, a12), hb4 = S4.high().selectFrom(a8, a12);
        IntVector hb1 = S4.low().selectFrom(a9, a13), hb5 = S4.high().selectFrom(a9, a13);
        IntVector hb2 = S4.low().selectFrom(a10, a14), hb6 = S4.high().selectFrom(a10, a14);
        IntVector hb3 = S4.low().selectFrom(a11, a15), hb7 = S4.high().selectFrom(a11, a15);
        IntVector hc0 = S2.low().selectFrom(hb0, hb2), hc2 = S2.high().selectFrom(hb0, hb2);
        IntVector hc1 = S2.low().selectFrom(hb1, hb3), hc3 = S2.high().selectFrom(hb1, hb3);
        IntVector hc4 = S2.low().selectFrom(hb4, hb6), hc6 = S2.high().selectFrom(hb4, hb6);
        IntVector hc5 = S2.low().selectFrom(hb5, hb7), hc7 = S2.high().selectFrom(hb5, hb7);
        S1.low().selectFrom(hc0, hc1).intoMemorySegment(ALL, dst + 8 * stride, LE);
        S1.high().selectFrom(hc0, hc1).intoMemorySegment(ALL, dst + 9 * stride, LE);
        S1.low().selectFrom(hc2, hc3).intoMemorySegment(ALL, dst + 10 * stride, LE);
        S1.high().selectFrom(hc2, hc3).intoMemorySegment(ALL, dst + 11 * stride, LE);
        S1.low().selectFrom(hc4, hc5).intoMemorySegment(ALL, dst + 12 * stride, LE);
        S1.high().selectFrom(hc4, hc5).intoMemorySegment(ALL, dst + 13 * stride, LE);
        S1.low().selectFrom(hc6, hc7).intoMemorySegment(ALL, dst + 14 * stride, LE);
        S1.high().selectFrom(hc6, hc7).intoMemorySegment(ALL, dst + 15 * stride, LE);
    }

    static void quad(IntVector a0, IntVector a1, IntVector a2, IntVector a3, IntVector a4, IntVector a5,
                     IntVector a6, IntVector a7, long dst, long stride, int q0) {
        IntVector b0 = S4.low().selectFrom(a0, a4), b4 = S4.high().selectFrom(a0, a4);
        IntVector b1 = S4.low().selectFrom(a1, a5), b5 = S4.high().selectFrom(a1, a5);
        IntVector b2 = S4.low().selectFrom(a2, a6), b6 = S4.high().selectFrom(a2, a6);
        IntVector b3 = S4.low().selectFrom(a3, a7), b7 = S4.high().selectFrom(a3, a7);
        IntVector c0 = S2.low().selectFrom(b0, b2), c2 = S2.high().selectFrom(b0, b2);
        IntVector c1 = S2.low().selectFrom(b1, b3), c3 = S2.high().selectFrom(b1, b3);
        IntVector c4 = S2.low().selectFrom(b4, b6), c6 = S2.high().selectFrom(b4, b6);
        IntVector c5 = S2.low().selectFrom(b5, b7), c7 = S2.high().selectFrom(b5, b7);
        long d = dst + q0 * stride;
        S1.low().selectFrom(c0, c1).intoMemorySegment(ALL, d, LE);
        S1.high().selectFrom(c0, c1).intoMemorySegment(ALL, d + stride, LE);
        S1.low().selectFrom(c2, c3).intoMemorySegment(ALL, d + 2 * stride, LE);
        S1.high().selectFrom(c2, c3).intoMemorySegment(ALL, d + 3 * stride, LE);
        S1.low().selectFrom(c4, c5).intoMemorySegment(ALL, d + 4 * stride, LE);
        S1.high().selectFrom(c4, c5).intoMemorySegment(ALL, d + 5 * stride, LE);
        S1.low().selectFrom(c6, c7).intoMemorySegment(ALL, d + 6 * stride, LE);
        S1.high().selectFrom(c6, c7).intoMemorySegment(ALL, d + 7 * stride, LE);
    }


    static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;
    record St(IntVector low, IntVector high) {
        static St of(int s) {
            int[] low = new int[8], high = new int[8];
            for (int c = 0; c < 8; c++) {
                low[c] = (c & s) == 0 ? c : 8 + c - s;
                high[c] = (c & s) != 0 ? 8 + c : c + s;
            }
            return new St(IntVector.fromArray(I8, low, 0), IntVector.fromArray(I8, high, 0));
        }
    }
    static final St T4 = St.of(4), T2 = St.of(2), T1 = St.of(1);
    static void half(long src, long srcRowBytes, long dst, long stride) {
        IntVector r0 = IntVector.fromMemorySegment(I8, ALL, src, LE);
        IntVector r1 = IntVector.fromMemorySegment(I8, ALL, src + srcRowBytes, LE);
        IntVector r2 = IntVector.fromMemorySegment(I8, ALL, src + 2 * srcRowBytes, LE);
        IntVector r3 = IntVector.fromMemorySegment(I8, ALL, src + 3 * srcRowBytes, LE);
        IntVector r4 = IntVector.fromMemorySegment(I8, ALL, src + 4 * srcRowBytes, LE);
        IntVector r5 = IntVector.fromMemorySegment(I8, ALL, src + 5 * srcRowBytes, LE);
        IntVector r6 = IntVector.fromMemorySegment(I8, ALL, src + 6 * srcRowBytes, LE);
        IntVector r7 = IntVector.fromMemorySegment(I8, ALL, src + 7 * srcRowBytes, LE);
        IntVector a0 = T4.low().selectFrom(r0, r4);
        IntVector a4 = T4.high().selectFrom(r0, r4);
        IntVector a1 = T4.low().selectFrom(r1, r5);
        IntVector a5 = T4.high().selectFrom(r1, r5);
        IntVector a2 = T4.low().selectFrom(r2, r6);
        IntVector a6 = T4.high().selectFrom(r2, r6);
        IntVector a3 = T4.low().selectFrom(r3, r7);
        IntVector a7 = T4.high().selectFrom(r3, r7);
        IntVector b0 = T2.low().selectFrom(a0, a2);
        IntVector b2 = T2.high().selectFrom(a0, a2);
        IntVector b1 = T2.low().selectFrom(a1, a3);
        IntVector b3 = T2.high().selectFrom(a1, a3);
        IntVector b4 = T2.low().selectFrom(a4, a6);
        IntVector b6 = T2.high().selectFrom(a4, a6);
        IntVector b5 = T2.low().selectFrom(a5, a7);
        IntVector b7 = T2.high().selectFrom(a5, a7);
        T1.low().selectFrom(b0, b1).intoMemorySegment(ALL, dst, LE);
        T1.high().selectFrom(b0, b1).intoMemorySegment(ALL, dst + stride, LE);
        T1.low().selectFrom(b2, b3).intoMemorySegment(ALL, dst + 2 * stride, LE);
        T1.high().selectFrom(b2, b3).intoMemorySegment(ALL, dst + 3 * stride, LE);
        T1.low().selectFrom(b4, b5).intoMemorySegment(ALL, dst + 4 * stride, LE);
        T1.high().selectFrom(b4, b5).intoMemorySegment(ALL, dst + 5 * stride, LE);
        T1.low().selectFrom(b6, b7).intoMemorySegment(ALL, dst + 6 * stride, LE);
        T1.high().selectFrom(b6, b7).intoMemorySegment(ALL, dst + 7 * stride, LE);
    }
    /** 16 rows x 32 columns: as t16, via four 8x8 halves (the engine's doubleBlock order). */
    static void d16(long src, long srcRowBytes, long dst, long stride) {
        long right = 8 * stride;
        half(src, srcRowBytes, dst, stride);
        half(src + 32, srcRowBytes, dst + right, stride);
        half(src + 8 * srcRowBytes, srcRowBytes, dst + 32, stride);
        half(src + 8 * srcRowBytes + 32, srcRowBytes, dst + right + 32, stride);
    }

    static boolean WIDE_T = Boolean.getBoolean("t16");
    static final ThreadLocal<MemorySegment> SCR = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(2L * NR * 8192, 64));

    static void tr(long a, long b, long c, long d) { if (WIDE_T) t16(a, b, c, d); else d16(a, b, c, d); }
    interface Tr { void t(long a, long b, long c, long d); }
    static long B, X0, X1, OUT, ROWOUT;
    static long rows;

    /** current engine way: kernel for the 48-row block into scratch, then transpose into the panel. */
    static void scratchPack(int p) {
        long scr = SCR.get().address();
        long from = (long) p * NR * COLS, to = from + (long) NR * COLS;
        ta(B, X0, X1, W0, W1, from, to, scr, from);
        long panel = OUT + 2L * from;
        long stride = 4L * NR;
        for (int k0 = 0; k0 < COLS; k0 += 32) {
            for (int g = 0; g < 3; g++) {
                tr(scr + 16L * g * 2 * COLS + 2L * k0, 2L * COLS, panel + (k0 / 2) * stride + 64L * g, stride);
            }
        }
    }

    /** fused: per 16-row group, CHUNK columns of each row into a small L1 tile, then its transposes. */
    static void fused(int p) {
        long scr = SCR.get().address();
        long panel = OUT + 2L * p * NR * COLS;
        long stride = 4L * NR;
        long tileRow = 2L * CHUNK;
        for (int k0 = 0; k0 < COLS; k0 += CHUNK) {
            for (int g = 0; g < 3; g++) {
                long row0 = (long) p * NR + 16L * g;
                for (int r = 0; r < 16; r++) {
                    long from = (row0 + r) * COLS + k0;
                    ta(B, X0, X1, W0, W1, from, from + CHUNK, scr + r * tileRow, from);
                }
                for (int t = 0; t < CHUNK; t += 32) {
                    tr(scr + 2L * t, tileRow, panel + ((k0 + t) / 2) * stride + 64L * g, stride);
                }
            }
        }
    }

    static void kern(int p) {
        long scr = SCR.get().address();
        long from = (long) p * NR * COLS, to = from + (long) NR * COLS;
        ta(B, X0, X1, W0, W1, from, to, scr, from);
    }

    static void pack(int p) {
        long scr = SCR.get().address();
        long from = (long) p * NR * COLS;
        long panel = OUT + 2L * from;
        long stride = 4L * NR;
        for (int k0 = 0; k0 < COLS; k0 += 32) {
            for (int g = 0; g < 3; g++) {
                tr(scr + 16L * g * 2 * COLS + 2L * k0, 2L * COLS, panel + (k0 / 2) * stride + 64L * g, stride);
            }
        }
    }

    static final ThreadLocal<MemorySegment> STG = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(3 * 16 * 64 + 64, 64));
    static void packSeq(int p) {
        long scr = SCR.get().address();
        long stg = STG.get().address();
        long from = (long) p * NR * COLS;
        long panel = OUT + 2L * from;
        long stride = 4L * NR;
        for (int k0 = 0; k0 < COLS; k0 += 32) {
            for (int g = 0; g < 3; g++) {
                tr(scr + 16L * g * 2 * COLS + 2L * k0, 2L * COLS, stg + 64L * g, stride);
            }
            long d = panel + (k0 / 2) * stride;
            for (int l = 0; l < 48; l++) {
                IntVector.fromMemorySegment(I, ALL, stg + 64L * l, LE).intoMemorySegment(ALL, d + 64L * l, LE);
            }
        }
    }

    static void scratchSeq(int p) {
        kern(p);
        packSeq(p);
    }

    static void fused8(int p) {
        long scr = SCR.get().address();
        long panel = OUT + 2L * p * NR * COLS;
        long stride = 4L * NR;
        long tileRow = 2L * CHUNK;
        for (int k0 = 0; k0 < COLS; k0 += CHUNK) {
            for (int g = 0; g < 6; g++) {
                long row0 = (long) p * NR + 8L * g;
                for (int r = 0; r < 8; r++) {
                    long from = (row0 + r) * COLS + k0;
                    ta(B, X0, X1, W0, W1, from, from + CHUNK, scr + r * tileRow, from);
                }
                for (int t = 0; t < CHUNK; t += 16) {
                    half(scr + 2L * t, tileRow, panel + ((k0 + t) / 2) * stride + 32L * g, stride);
                }
            }
        }
    }

    static void readOnly(int p) {
        long scr = SCR.get().address();
        long from = (long) p * NR * COLS, to = from + (long) NR * COLS;
        IntVector acc = IntVector.zero(I);
        for (long i = from; i + 32 <= to; i += 32) {
            acc = acc.add(IntVector.fromMemorySegment(I, ALL, B + 2 * i, LE)).add(IntVector.fromMemorySegment(I, ALL, X0 + 2 * i, LE))
                .add(IntVector.fromMemorySegment(I, ALL, X1 + 2 * i, LE));
        }
        acc.intoMemorySegment(ALL, scr, LE);
    }

    static void fused48(int p) {
        long scr = SCR.get().address();
        long panel = OUT + 2L * p * NR * COLS;
        long stride = 4L * NR;
        long tileRow = 2L * CHUNK;
        for (int k0 = 0; k0 < COLS; k0 += CHUNK) {
            for (int r = 0; r < NR; r++) {
                long from = ((long) p * NR + r) * COLS + k0;
                ta(B, X0, X1, W0, W1, from, from + CHUNK, scr + r * tileRow, from);
            }
            for (int t = 0; t < CHUNK; t += 32) {
                for (int g = 0; g < 3; g++) {
                    tr(scr + 16L * g * tileRow + 2L * t, tileRow, panel + ((k0 + t) / 2) * stride + 64L * g, stride);
                }
            }
        }
    }

    static dev.evomerge.engine.compute.PackedMatrix PM;
    static final ThreadLocal<MemorySegment> SCRSEG = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(2L * NR * 8192, 64));
    static void realPack(int p) {
        MemorySegment seg = SCRSEG.get();
        long scr = seg.address();
        long from = (long) p * NR * COLS, to = from + (long) NR * COLS;
        ta(B, X0, X1, W0, W1, from, to, scr, from);
        PM.setRowsBf16(p * NR, NR, seg.asSlice(0, 2L * NR * COLS), true);
    }

    static void copyOnly(int p) {
        MemorySegment seg = SCRSEG.get();
        long from = (long) p * NR * COLS;
        MemorySegment.copy(seg, 0, MemorySegment.ofAddress(OUT + 2L * from).reinterpret(2L * NR * COLS), 0, 2L * NR * COLS);
    }

    static void kernv(int p) {
        long scr = SCR.get().address();
        long from = (long) p * NR * COLS, to = from + (long) NR * COLS;
        tav(B, X0, X1, W0, W1, from, to, scr, from);
    }

    static void rowMajor(int p) {
        long from = (long) p * NR * COLS, to = from + (long) NR * COLS;
        ta(B, X0, X1, W0, W1, from, to, ROWOUT, 0);
    }

    static MemorySegment map(String f) throws Exception {
        FileChannel ch = FileChannel.open(Path.of(f), StandardOpenOption.READ);
        return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), Arena.global());
    }

    public static void main(String[] a) throws Exception {
        COLS = Integer.parseInt(a[0]);
        CHUNK = Integer.parseInt(a[1]);
        int rounds = Integer.parseInt(a[2]);
        String[] variants = a[3].split(",");
        String dir = System.getProperty("models", "/tmp/big760m") + "/";
        MemorySegment b = map(dir + "base/model.safetensors"), x0 = map(dir + "ft1/model.safetensors"),
                x1 = map(dir + "ft2/model.safetensors");
        long data = 1 << 20; // skip the header region roughly (alignment only matters)
        long n = (b.byteSize() - data) / 2;
        long panels = n / ((long) NR * COLS);
        n = panels * NR * COLS;
        rows = panels * NR;
        B = b.address() + data; X0 = x0.address() + data; X1 = x1.address() + data;
        MemorySegment out = HugePages.allocate(2 * n, Arena.global());
        OUT = out.address();
        PM = dev.evomerge.engine.compute.PackedMatrix.zeros((int) (panels * NR), COLS, true);
        MemorySegment rowOut = HugePages.allocate(2 * n, Arena.global());
        ROWOUT = rowOut.address();
        // touch everything
        for (String v : variants) run(v, (int) panels);
        for (String v : variants) run(v, (int) panels);
        // check: every schedule that writes panels writes the same ones (a sample of elements hashed)
        run("scratch", (int) panels);
        long expected = hash(out, n);
        for (String v : new String[] {"fused", "inter", "scrseq"}) {
            out.fill((byte) 0);
            run(v, (int) panels);
            System.out.println(v + " panels equal to scratch's: " + (hash(out, n) == expected));
        }
        run("scratch", (int) panels);
        Map<String, List<Double>> t = new LinkedHashMap<>();
        for (int r = 0; r < rounds; r++) {
            for (String v : variants) {
                long t0 = System.nanoTime();
                run(v, (int) panels);
                t.computeIfAbsent(v, k -> new ArrayList<>()).add((System.nanoTime() - t0) / 1e9);
            }
        }
        for (var e : t.entrySet()) {
            List<Double> l = new ArrayList<>(e.getValue());
            Collections.sort(l);
            System.out.printf(Locale.ROOT, "%-8s cols %d chunk %d: median %.3f s (min %.3f) = %.2f GB/s of input%n",
                    e.getKey(), COLS, CHUNK, l.get(l.size() / 2), l.get(0), 3 * 2.0 * n / l.get(l.size() / 2) / 1e9);
        }
    }

    static long hash(MemorySegment s, long n) {
        long h = 0;
        for (long i = 0; i < n; i += 4099) h = h * 31 + s.get(ValueLayout.JAVA_SHORT_UNALIGNED, 2 * i);
        return h;
    }

    static void run(String v, int panels) {
        if (v.equals("inter")) {
            int per = Integer.getInteger("per", 8);
            IntStream.range(0, (panels + per - 1) / per).parallel().forEach(c -> inter(c * per, Math.min(panels, (c + 1) * per)));
            return;
        }
        IntStream.range(0, panels).parallel().forEach(p -> {
            switch (v) {
                case "scratch" -> scratchPack(p);
                case "fused" -> fused(p);
                case "row" -> rowMajor(p);
                case "kern" -> kern(p);
                case "pack" -> pack(p);
                case "kernv" -> kernv(p);
                case "copy" -> copyOnly(p);
                case "real" -> realPack(p);
                case "fused48" -> fused48(p);
                case "read" -> readOnly(p);
                case "fused8" -> fused8(p);
                case "packseq" -> packSeq(p);
                case "scrseq" -> scratchSeq(p);
                default -> throw new IllegalArgumentException(v);
            }
        });
    }
}
