package dev.evomerge.bench;

import dev.evomerge.core.io.HugePages;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.FloatFormats;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;
import dev.evomerge.merge.method.MergeInputs;
import dev.evomerge.merge.method.MergeMethod;
import dev.evomerge.merge.method.MergeMethods;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * What limits the streaming bf16 kernels on one core: task_arithmetic and linear through {@link MergeMethods} (base and
 * two fine-tunes, weights 0.4 / 0.3 rounded to bf16, linear with the base at 0.3, as MergeBench) over tensors of 64Ki
 * elements, once with every call on the same L2-resident slice and once streaming through N elements, with the
 * buffers in 4 KiB pages ({@code Arena.allocate}) and in 2 MiB pages ({@link HugePages#allocate}); each kernel with
 * its 32-element loops (on 512-bit vectors) and with the 16-element ones only (the system property
 * {@code evomerge.streamKernels.wide=false}, switched between calls); beside them a loop that only loads the three
 * inputs, adds them as integers and stores the sum (the most any kernel can stream) and a copy of one input. Figures
 * are input bytes per second of the thread's CPU time (best of R), so a loaded machine stretches them less than wall
 * time; the rounds interleave all cases; every call runs on the calling thread (a tensor of 64Ki elements is below
 * the kernels' parallel threshold).
 *
 * <p>Usage: {@code PagedStreamBench [N] [R]} (default 67108864 elements, 5 rounds).
 */
public final class PagedStreamBench {

    private static final int SLICE = 1 << 16;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    /** For a result that misses its target (never here: the check below throws). */
    private static final Arena SPARE = Arena.ofAuto();
    /** StreamKernels' switch for its 32-element loops (read once per tensor). */
    private static final String WIDE = "evomerge.streamKernels.wide";

    private PagedStreamBench() {
    }

    /** The inputs and the output of one page size. */
    private record Buffers(Tensor base, Tensor x, Tensor y, Tensor out) {
    }

    public static void main(String[] args) {
        long n = (args.length > 0 ? Long.parseLong(args[0]) : 1L << 26) / SLICE * SLICE;
        int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        System.out.printf(Locale.ROOT, "machine: %d cores, Java %s, N = %d bf16 elements (%.2f GB of input),"
                        + " best of %d, one thread; huge pages available: %b%n",
                Runtime.getRuntime().availableProcessors(), Runtime.version(), n, 6.0 * n / 1e9, repeats,
                HugePages.available());
        System.out.println();
        System.out.println("| pages | case | input GB/s per CPU-second |");
        System.out.println("|---|---|---|");
        Arena arena = Arena.ofShared();
        Buffers small = buffers(n, arena, false);
        Buffers huge = buffers(n, arena, true);
        String[] names = {"task_arithmetic kernel, L2-resident slice, 16-element loop",
                "task_arithmetic kernel, L2-resident slice, 32-element loop",
                "task_arithmetic kernel, streaming, 16-element loop",
                "task_arithmetic kernel, streaming, 32-element loop",
                "linear kernel, L2-resident slice, 16-element loop",
                "linear kernel, L2-resident slice, 32-element loop",
                "linear kernel, streaming, 16-element loop", "linear kernel, streaming, 32-element loop",
                "load 3 inputs, add, store (no arithmetic)", "copy of one input (bytes copied)"};
        double[] bytes = {6.0 * n, 6.0 * n, 6.0 * n, 6.0 * n, 6.0 * n, 6.0 * n, 6.0 * n, 6.0 * n, 6.0 * n, 2.0 * n};
        Runnable[][] cases = new Runnable[2][];
        for (int p = 0; p < 2; p++) {
            Buffers b = p == 0 ? small : huge;
            cases[p] = new Runnable[] {() -> merge("task_arithmetic", b, n, false, false),
                    () -> merge("task_arithmetic", b, n, false, true),
                    () -> merge("task_arithmetic", b, n, true, false), () -> merge("task_arithmetic", b, n, true, true), () -> merge("linear", b, n, false, false),
                    () -> merge("linear", b, n, false, true), () -> merge("linear", b, n, true, false),
                    () -> merge("linear", b, n, true, true), () -> loadAddStore(b, n),
                    () -> b.out().data().copyFrom(b.base().data())};
        }
        // every case once per round, rounds interleaved, so that JIT warm-up and the machine's load fall on all
        long[][] best = new long[2][names.length];
        for (long[] row : best) {
            java.util.Arrays.fill(row, Long.MAX_VALUE);
        }
        for (int r = -1; r < repeats; r++) {
            for (int c = 0; c < names.length; c++) {
                for (int p = 0; p < 2; p++) {
                    long t0 = THREADS.getCurrentThreadCpuTime();
                    cases[p][c].run();
                    long t = THREADS.getCurrentThreadCpuTime() - t0;
                    if (r >= 0) { // round -1 is the JIT warm-up
                        best[p][c] = Math.min(best[p][c], t);
                    }
                }
            }
        }
        double[][] gbs = new double[2][names.length];
        for (int p = 0; p < 2; p++) {
            for (int c = 0; c < names.length; c++) {
                gbs[p][c] = bytes[c] / (best[p][c] / 1e9) / 1e9;
                System.out.printf(Locale.ROOT, "| %s | %s | %.2f |%n", p == 0 ? "4 KiB" : "2 MiB", names[c],
                        gbs[p][c]);
            }
        }
        System.out.println();
        System.out.println("32-element / 16-element loop (4 KiB pages, 2 MiB pages):");
        for (int c = 0; c < 8; c += 2) {
            System.out.printf(Locale.ROOT, "  %s: %.2fx, %.2fx%n", names[c].substring(0, names[c].lastIndexOf(',')),
                    gbs[0][c + 1] / gbs[0][c], gbs[1][c + 1] / gbs[1][c]);
        }
        // a vector op that C2 did not inline would allocate a box per vector: megabytes per pass
        var allocation = (com.sun.management.ThreadMXBean) THREADS;
        for (String method : List.of("task_arithmetic", "linear")) {
            long narrowAllocated = allocation.getCurrentThreadAllocatedBytes();
            merge(method, small, n, true, false);
            narrowAllocated = allocation.getCurrentThreadAllocatedBytes() - narrowAllocated;
            MemorySegment narrow = MemorySegment.ofArray(new byte[Math.toIntExact(2 * n)]).copyFrom(small.out().data());
            long allocated = allocation.getCurrentThreadAllocatedBytes();
            merge(method, small, n, true, true);
            allocated = allocation.getCurrentThreadAllocatedBytes() - allocated;
            MemorySegment first = MemorySegment.ofArray(new byte[Math.toIntExact(2 * n)]).copyFrom(small.out().data());
            merge(method, huge, n, true, true);
            System.out.printf(Locale.ROOT, "%s: 2 MiB / 4 KiB pages, kernel streaming %.2fx; merged outputs"
                            + " identical (page sizes, 32- and 16-element loops): %b, %b; heap allocated by one"
                            + " streaming pass: %d bytes with the 32-element loop, %d with the 16-element one"
                            + " (%d calls)%n", method,
                    gbs[1][method.equals("linear") ? 7 : 3] / gbs[0][method.equals("linear") ? 7 : 3],
                    first.mismatch(huge.out().data()) == -1, first.mismatch(narrow) == -1, allocated,
                    narrowAllocated, n / SLICE);
        }
        System.out.printf(Locale.ROOT, "2 MiB / 4 KiB pages: load-add-store %.2fx, copy %.2fx%n",
                gbs[1][8] / gbs[0][8], gbs[1][9] / gbs[0][9]);
    }

    private static Buffers buffers(long n, Arena arena, boolean huge) {
        Tensor base = filled(n, arena, huge, 1, null);
        return new Buffers(base, filled(n, arena, huge, 2, base), filled(n, arena, huge, 3, base),
                new Tensor(DType.BF16, Shape.of(n), huge ? HugePages.allocate(2 * n, arena)
                        : arena.allocate(2 * n, 64)));
    }

    /** Weights of std 0.02, or a fine-tune of base: base plus noise of std 0.002 (the same seeds either page size). */
    static Tensor filled(long n, Arena arena, boolean huge, long seed, Tensor base) {
        MemorySegment s = huge ? HugePages.allocate(2 * n, arena) : arena.allocate(2 * n, 64);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (long i = 0; i < n; i++) {
            float v = base == null ? (float) (rnd.nextGaussian() * 0.02)
                    : base.getFloat(i) + (float) (rnd.nextGaussian() * 0.002);
            s.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2 * i, FloatFormats.floatToBf16(v));
        }
        return new Tensor(DType.BF16, Shape.of(n), s);
    }

    /**
     * method over 64Ki-element slices: all of them (streaming) or the first one N / 64Ki times; with the 32-element
     * loops or the 16-element ones only.
     */
    private static void merge(String name, Buffers b, long n, boolean streaming, boolean wide) {
        System.setProperty(WIDE, Boolean.toString(wide));
        MergeMethod method = MergeMethods.byName(name);
        boolean linear = name.equals("linear");
        for (long from = 0; from < n; from += SLICE) {
            long at = streaming ? from : 0;
            Tensor out = slice(b.out(), at);
            MergeInputs in = new MergeInputs("w", false, List.of(
                    new MergeInputs.InputTensor("base", slice(b.base(), at), linear ? Map.of("weight", 0.3) : Map.of()),
                    new MergeInputs.InputTensor("x", slice(b.x(), at), Map.of("weight", 0.4)),
                    new MergeInputs.InputTensor("y", slice(b.y(), at), Map.of("weight", 0.3))),
                    linear ? null : "base", Map.of(), DType.BF16, null, null, () -> out);
            Tensor merged = method.merge(in, SPARE);
            if (merged.data().address() != out.data().address()) {
                throw new IllegalStateException(name + " did not stream into its target");
            }
        }
    }

    private static Tensor slice(Tensor t, long from) {
        return new Tensor(DType.BF16, Shape.of(SLICE), t.data().asSlice(2 * from, 2L * SLICE));
    }

    private static void loadAddStore(Buffers b, long n) {
        MemorySegment base = b.base().data();
        MemorySegment x = b.x().data();
        MemorySegment y = b.y().data();
        MemorySegment out = b.out().data();
        long step = I.vectorByteSize();
        for (long off = 0; off + step <= 2 * n; off += step) {
            IntVector.fromMemorySegment(I, base, off, LE).add(IntVector.fromMemorySegment(I, x, off, LE))
                    .add(IntVector.fromMemorySegment(I, y, off, LE)).intoMemorySegment(out, off, LE);
        }
    }

}
