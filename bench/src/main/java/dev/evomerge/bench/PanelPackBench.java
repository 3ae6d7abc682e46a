package dev.evomerge.bench;

import dev.evomerge.engine.compute.PackedMatrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Packing merged rows into the engine's bf16 panels the way an in-memory re-merge hands them over: one block of 48
 * row-major rows (a panel's worth, in cache) packed into every panel of a ROWS x COLS matrix with
 * {@link PackedMatrix#setRowsBf16} (rows already quiet, as the merge kernels' are). One thread, best of ROUNDS after
 * three warm-up rounds; GB/s of bf16 written, and heap bytes allocated per call (0 when C2 compiled the transposes
 * whole). Compare two builds by running each jar alternately (docs/benchmarks.md, "Kernels that do not depend on what
 * ran before"). Usage: {@code PanelPackBench [ROWS COLS [ROUNDS]]} (default 4608 x 4096, a down_proj's column
 * count, 8 rounds).
 */
public final class PanelPackBench {

    private PanelPackBench() {
    }

    public static void main(String[] args) {
        int rows = args.length > 1 ? Integer.parseInt(args[0]) : 4608;
        int cols = args.length > 1 ? Integer.parseInt(args[1]) : 4096;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        int nr = PackedMatrix.NR;
        PackedMatrix m = PackedMatrix.zeros(rows, cols, true);
        MemorySegment block = Arena.global().allocate(2L * nr * cols, 64);
        SplittableRandom random = new SplittableRandom(1);
        for (long i = 0; i < (long) nr * cols; i++) {
            block.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2 * i, (short) random.nextInt(0x7F00));
        }
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int calls = rows / nr;
        double best = 0;
        long allocated = 0;
        for (int r = -3; r < rounds; r++) {
            long bytes = threads.getCurrentThreadAllocatedBytes();
            long t0 = threads.getCurrentThreadCpuTime();
            for (int c = 0; c < calls; c++) {
                m.setRowsBf16(c * nr, nr, block, true);
            }
            double gbps = 2.0 * calls * nr * cols / (threads.getCurrentThreadCpuTime() - t0);
            if (r >= 0) {
                best = Math.max(best, gbps);
                allocated = threads.getCurrentThreadAllocatedBytes() - bytes;
            }
        }
        System.out.printf(Locale.ROOT, "%d x %d bf16 (%.0f MB of panels), one thread: %.2f GB/s, %.1f heap bytes per"
                + " call%n", rows, cols, 2.0 * rows * cols / 1e6, best, (double) allocated / calls);
    }
}
