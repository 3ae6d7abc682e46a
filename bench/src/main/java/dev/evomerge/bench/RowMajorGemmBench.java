package dev.evomerge.bench;

import dev.evomerge.engine.compute.Gemm;
import dev.evomerge.engine.compute.PackedMatrix;
import dev.evomerge.engine.compute.RowMajorGemm;
import dev.evomerge.engine.compute.WorkerPool;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * The GEMM over bf16 weights in the engine's panels ({@link Gemm}) against the same weights row-major
 * ({@link RowMajorGemm}: packed per task), two threads, both alternated round by round in one JVM, median of 7; the
 * results are checked bit for bit first. Usage: {@code RowMajorGemmBench N K MATRICES} (N a multiple of 48, K of 32;
 * MATRICES of N x K cycled through, so that 12 of 4608 x 1536 do not fit in the caches).
 */
public final class RowMajorGemmBench {

    private RowMajorGemmBench() {
    }

    public static void main(String[] args) {
        int n = Integer.parseInt(args[0]), k = Integer.parseInt(args[1]), mats = Integer.parseInt(args[2]);
        int threads = 2;
        SplittableRandom rnd = new SplittableRandom(1);
        MemorySegment[] rows = new MemorySegment[mats];
        PackedMatrix[] packed = new PackedMatrix[mats];
        for (int i = 0; i < mats; i++) {
            rows[i] = Arena.ofAuto().allocate(2L * n * k, 64);
            for (long e = 0; e < (long) n * k; e++) {
                float f = (float) rnd.nextGaussian();
                rows[i].setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, e, (short) (Float.floatToRawIntBits(f) >>> 16));
            }
            packed[i] = PackedMatrix.zeros(n, k, true);
            packed[i].setRowsBf16(0, n, rows[i], true);
        }
        try (WorkerPool pool = new WorkerPool(threads)) {
            for (int m : new int[]{1, 4, 16, 64, 256}) {
                float[] a = new float[m * k];
                for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextGaussian();
                float[] c1 = new float[m * n], c2 = new float[m * n];
                // check
                Gemm.multiply(pool, a, k, m, packed[0], null, c1, n, false);
                RowMajorGemm.multiply(pool, a, k, m, rows[0], n, k, c2, n);
                for (int i = 0; i < c1.length; i++) if (Float.floatToRawIntBits(c1[i]) != Float.floatToRawIntBits(c2[i])) throw new AssertionError("m=" + m + " i=" + i + " " + c1[i] + " " + c2[i]);
                int reps = Math.max(1, 64 / m);
                double[] tOld = new double[7], tNew = new double[7];
                for (int round = 0; round < 7; round++) {
                    long t0 = System.nanoTime();
                    for (int r = 0; r < reps; r++) for (int i = 0; i < mats; i++) Gemm.multiply(pool, a, k, m, packed[i], null, c1, n, false);
                    long t1 = System.nanoTime();
                    for (int r = 0; r < reps; r++) for (int i = 0; i < mats; i++) RowMajorGemm.multiply(pool, a, k, m, rows[i], n, k, c2, n);
                    long t2 = System.nanoTime();
                    tOld[round] = (t1 - t0) / 1e9; tNew[round] = (t2 - t1) / 1e9;
                }
                java.util.Arrays.sort(tOld); java.util.Arrays.sort(tNew);
                double flops = 2.0 * m * n * k * mats * reps;
                System.out.printf("n=%d k=%d mats=%d m=%3d: panels %.1f GFLOP/s, row-major %.1f GFLOP/s, ratio %.2f (medians; weights %.0f MB)%n",
                        n, k, mats, m, flops / tOld[3] / 1e9, flops / tNew[3] / 1e9, tOld[3] / tNew[3], 2.0 * n * k * mats / 1e6);
            }
        }
    }
}
