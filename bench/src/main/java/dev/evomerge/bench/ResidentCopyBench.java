package dev.evomerge.bench;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Kernels;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;
import dev.evomerge.engine.compute.PackedMatrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The copy of one merged bf16 matrix into the engine's bf16 weights, as the resident weight sink does it: the
 * float path (a bf16 block widened to a float array, then {@link PackedMatrix#setRow} per row, the code before) and
 * {@link PackedMatrix#setRowsBf16} (16 x 16 vector transposes), against {@code MemorySegment.copy} of the same bytes
 * on one thread. Usage: {@code ResidentCopyBench [ROWS COLS]} (default 32000 x 1536, a 760M Llama's embedding).
 * Best of 7 after 3 warm-up rounds; GB/s = bf16 bytes of the matrix per second.
 */
public final class ResidentCopyBench {

    private ResidentCopyBench() {
    }

    public static void main(String[] args) {
        int rows = args.length > 1 ? Integer.parseInt(args[0]) : 32000;
        int cols = args.length > 1 ? Integer.parseInt(args[1]) : 1536;
        long bytes = 2L * rows * cols;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment src = arena.allocate(bytes, 64);
            MemorySegment dst = arena.allocate(bytes, 64);
            SplittableRandom r = new SplittableRandom(1);
            for (long i = 0; i < bytes; i += 2) {
                src.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) (0x3C00 + r.nextInt(0x800)));
            }
            Tensor t = new Tensor(DType.BF16, Shape.of(rows, cols), src);
            PackedMatrix m = PackedMatrix.zeros(rows, cols, true);
            double copy = best(() -> MemorySegment.copy(src, 0, dst, 0, bytes), bytes);
            double floats = best(() -> viaFloats(t, m), bytes);
            double packed = best(() -> m.setRowsBf16(0, rows, src), bytes);
            System.out.printf(Locale.ROOT, "%d x %d bf16 (%.0f MB), 1 thread: memory copy %.2f GB/s; into the engine's"
                            + " bf16 weights: float path %.2f GB/s (%.2f of copy), setRowsBf16 %.2f GB/s (%.2f of copy)%n",
                    rows, cols, bytes / 1e6, copy, floats, floats / copy, packed, packed / copy);
            // as a merge hands its rows over: one panel of rows at a time from the same cache-resident scratch,
            // with the NaN test (putRows) and without it (putQuietRows, the merge kernels' rows); alternated
            double testing = 0;
            double quiet = 0;
            for (int round = 0; round < 6; round++) {
                // which goes first alternates too: the first of a pair finds the other's dirty panel lines
                if (round % 2 == 0) {
                    testing = Math.max(testing, best(() -> byPanels(m, src, false), bytes));
                    quiet = Math.max(quiet, best(() -> byPanels(m, src, true), bytes));
                } else {
                    quiet = Math.max(quiet, best(() -> byPanels(m, src, true), bytes));
                    testing = Math.max(testing, best(() -> byPanels(m, src, false), bytes));
                }
            }
            System.out.printf(Locale.ROOT, "  a panel of %d rows at a time from one cache-resident block:"
                            + " NaNs quieted %.2f GB/s, rows already quiet %.2f GB/s (%.2fx)%n",
                    PackedMatrix.NR, testing, quiet, quiet / testing);
        }
    }

    /** Every panel of m from the first panel's rows of src, as the merge's row blocks arrive. */
    private static void byPanels(PackedMatrix m, MemorySegment src, boolean quiet) {
        int nr = PackedMatrix.NR;
        MemorySegment block = src.asSlice(0, 2L * Math.min(nr, m.rows()) * m.cols());
        for (int r0 = 0; r0 < m.rows(); r0 += nr) {
            m.setRowsBf16(r0, Math.min(nr, m.rows() - r0), block, quiet);
        }
    }

    /** The sink's code before: blocks of rows widened to floats, then one strided row store per row. */
    private static void viaFloats(Tensor t, PackedMatrix m) {
        int cols = m.cols();
        int block = Math.max(1, (1 << 20) / cols);
        long rowBytes = 2L * cols;
        for (int r0 = 0; r0 < m.rows(); r0 += block) {
            int n = Math.min(block, m.rows() - r0);
            Tensor slice = new Tensor(DType.BF16, Shape.of((long) n * cols), t.data().asSlice(r0 * rowBytes,
                    n * rowBytes));
            float[] values = Kernels.toFloatArray(slice);
            for (int r = 0; r < n; r++) {
                m.setRow(r0 + r, values, r * cols);
            }
        }
    }

    private static double best(Runnable step, long bytes) {
        double best = 0;
        for (int i = 0; i < 10; i++) {
            long start = System.nanoTime();
            step.run();
            double s = (System.nanoTime() - start) / 1e9;
            if (i >= 3) {
                best = Math.max(best, bytes / 1e9 / s);
            }
        }
        return best;
    }
}
