package dev.evomerge.bench.pairs;

import dev.evomerge.engine.compute.Gemm;
import dev.evomerge.engine.compute.PackedMatrix;
import dev.evomerge.engine.compute.WorkerPool;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.ByteOrder;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * bf16 panels in column pairs (the engine now) against the layout before (one column's 48 values contiguous, kept as
 * {@link OldPackedMatrix} / {@link OldGemm} / {@link OldBf16Transpose}), in one process with the two interleaved
 * round by round, so that a shared machine's load falls on both alike; the ratio is the figure.
 * <ul>
 *   <li>packing: every panel of a matrix from one cache-resident block of 48 merged rows, as the resident re-merge
 *   hands its rows over ({@code setRowsBf16} with {@code quiet} true, and false: the NaN test); GB/s of bf16 output;
 *   the heap allocated per 16 x 16 block (a boxed vector would show as tens of bytes);</li>
 *   <li>GEMM: C = A·Wᵀ over bf16 weights for m = 1, 4, 64 rows (64 widens each weight block into floats first, the
 *   others widen in registers) on one thread, GFLOP/s; old and new results are compared bit for bit.</li>
 * </ul>
 * Usage: {@code PairsBench [--rounds R] [--only packing|gemm]}. Best of each side over R rounds (default 5).
 */
public final class PairsBench {

    private static final ValueLayout.OfShort LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int NR = PackedMatrix.NR;
    private static final int[][] SHAPES = {{32000, 1536}, {4096, 1536}, {1536, 4096}};

    private PairsBench() {
    }

    public static void main(String[] args) {
        int rounds = 5;
        String only = "";
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                case "--only" -> only = args[i + 1];
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (usage: PairsBench [--rounds R] [--only packing|gemm])");
            }
        }
        System.out.printf(Locale.ROOT, "PairsBench: %d rounds, old and new alternating; best of each%n", rounds);
        try (Arena arena = Arena.ofShared()) {
            if (!only.equals("gemm")) {
                for (int[] shape : SHAPES) {
                    packing(arena, shape[0], shape[1], rounds);
                }
            }
            if (!only.equals("packing")) {
                try (WorkerPool pool = new WorkerPool(1)) {
                    for (int[] shape : new int[][] {{4096, 1536}, {1536, 4096}}) {
                        gemm(arena, pool, shape[0], shape[1], rounds);
                    }
                }
            }
        }
    }

    private static MemorySegment randomBf16(Arena arena, long count, long seed) {
        MemorySegment s = arena.allocate(2 * count, 64);
        SplittableRandom r = new SplittableRandom(seed);
        for (long i = 0; i < count; i++) {
            // weights of either sign around 0.01-1 (finite; the merge's rows are quiet)
            s.set(LE, 2 * i, (short) ((r.nextBoolean() ? 0x8000 : 0) | (0x3C00 + r.nextInt(0x800))));
        }
        return s;
    }

    private static void packing(Arena arena, int rows, int cols, int rounds) {
        MemorySegment block = randomBf16(arena, (long) NR * cols, rows);
        PackedMatrix now = PackedMatrix.zeros(rows, cols, true);
        OldPackedMatrix before = OldPackedMatrix.zeros(rows, cols, true);
        long bytes = 2L * rows * cols;
        double[] best = new double[4]; // old quiet, new quiet, old NaN test, new NaN test
        for (int round = 0; round < rounds + 2; round++) {
            for (int side = 0; side < 4; side++) {
                // which goes first alternates: the first of a pair finds the other's dirty lines
                int s = round % 2 == 0 ? side : side ^ 1;
                boolean quiet = s < 2;
                Runnable step = s % 2 == 0 ? () -> byPanels(before, block, quiet) : () -> byPanels(now, block, quiet);
                double gbs = timed(step, bytes);
                if (round >= 2) {
                    best[s] = Math.max(best[s], gbs);
                }
            }
        }
        // heap allocated per 16 x 16 block: a panel's call allocates one 64-short line (a few bytes per block); a
        // boxed vector would add 64 bytes per block each
        long blocks = 2L * (rows / 16) * (cols / 16) / 2;
        double[] perBlock = new double[4];
        for (int s = 0; s < 4; s++) {
            boolean quiet = s < 2;
            perBlock[s] = (double) allocated(s % 2 == 0 ? () -> byPanels(before, block, quiet)
                    : () -> byPanels(now, block, quiet)) / blocks;
        }
        System.out.printf(Locale.ROOT, "packing %d x %d (%.0f MB of bf16), 1 thread, GB/s of output: rows quiet: old"
                        + " %.2f, pairs %.2f (%.2fx); NaN test: old %.2f, pairs %.2f (%.2fx); heap bytes per 16 x 16"
                        + " block (old/pairs, quiet/test): %.1f/%.1f, %.1f/%.1f%n", rows, cols, bytes / 1e6, best[0],
                best[1], best[1] / best[0], best[2], best[3], best[3] / best[2], perBlock[0], perBlock[1],
                perBlock[2], perBlock[3]);
        check(now, before);
    }

    /** Every panel of m from the same block of 48 rows, as the merge's row blocks arrive. */
    private static void byPanels(PackedMatrix m, MemorySegment block, boolean quiet) {
        for (int r0 = 0; r0 < m.rows(); r0 += NR) {
            m.setRowsBf16(r0, Math.min(NR, m.rows() - r0), block, quiet);
        }
    }

    private static void byPanels(OldPackedMatrix m, MemorySegment block, boolean quiet) {
        for (int r0 = 0; r0 < m.rows(); r0 += NR) {
            m.setRowsBf16(r0, Math.min(NR, m.rows() - r0), block, quiet);
        }
    }

    /** The same values in both layouts (a sample of rows). */
    private static void check(PackedMatrix now, OldPackedMatrix before) {
        for (int r = 0; r < now.rows(); r += 97) {
            for (int k = 0; k < now.cols(); k++) {
                if (Float.floatToRawIntBits(now.get(r, k)) != Float.floatToRawIntBits(before.get(r, k))) {
                    throw new IllegalStateException("the layouts differ at row " + r + " column " + k);
                }
            }
        }
    }

    private static void gemm(Arena arena, WorkerPool pool, int n, int k, int rounds) {
        MemorySegment rows = randomBf16(arena, (long) n * k, n * 31L + k);
        PackedMatrix now = PackedMatrix.zeros(n, k, true);
        OldPackedMatrix before = OldPackedMatrix.zeros(n, k, true);
        now.setRowsBf16(0, n, rows, true);
        before.setRowsBf16(0, n, rows, true);
        for (int m : new int[] {1, 4, 64}) {
            SplittableRandom r = new SplittableRandom(m);
            float[] a = new float[m * k];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) r.nextGaussian();
            }
            float[] cNow = new float[m * n];
            float[] cBefore = new float[m * n];
            double flops = 2.0 * m * n * k;
            // about 0.1 s per timing
            int reps = (int) Math.max(1, 0.1 * 30e9 / flops);
            double[] best = new double[2];
            for (int round = 0; round < rounds + 2; round++) {
                for (int side = 0; side < 2; side++) {
                    int s = round % 2 == 0 ? side : 1 - side;
                    Runnable step = s == 0
                            ? () -> OldGemm.multiply(pool, a, k, m, before, null, cBefore, n, false)
                            : () -> Gemm.multiply(pool, a, k, m, now, null, cNow, n, false);
                    long start = System.nanoTime();
                    for (int i = 0; i < reps; i++) {
                        step.run();
                    }
                    double gflops = flops * reps / (System.nanoTime() - start);
                    if (round >= 2) {
                        best[s] = Math.max(best[s], gflops);
                    }
                }
            }
            for (int i = 0; i < cNow.length; i++) {
                if (Float.floatToRawIntBits(cNow[i]) != Float.floatToRawIntBits(cBefore[i])) {
                    throw new IllegalStateException("old and new GEMM differ at " + i + ": " + cBefore[i] + " vs "
                            + cNow[i]);
                }
            }
            System.out.printf(Locale.ROOT, "GEMM bf16 W %d x %d, m = %d, 1 thread: old %.1f GFLOP/s, pairs %.1f GFLOP/s"
                    + " (%.2fx); results bit-identical%n", n, k, m, best[0], best[1], best[1] / best[0]);
        }
    }

    private static long allocated(Runnable step) {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        long a0 = threads.getThreadAllocatedBytes(tid);
        step.run();
        return threads.getThreadAllocatedBytes(tid) - a0;
    }

    private static double timed(Runnable step, long bytes) {
        long start = System.nanoTime();
        step.run();
        return bytes / 1e9 / ((System.nanoTime() - start) / 1e9);
    }
}
