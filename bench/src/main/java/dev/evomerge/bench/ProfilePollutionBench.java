package dev.evomerge.bench;

import dev.evomerge.core.io.HugePages;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.NativeMemory;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;
import dev.evomerge.engine.compute.Gemm;
import dev.evomerge.engine.compute.PackedMatrix;
import dev.evomerge.engine.compute.WorkerPool;
import dev.evomerge.merge.method.MergeInputs;
import dev.evomerge.merge.method.MergeMethod;
import dev.evomerge.merge.method.MergeMethods;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Whether the merge kernels' speed depends on what else ran in the JVM (docs/benchmarks.md, "Kernels that do not
 * depend on what ran before"). The JDK's vector loads and stores through a memory segment compile to code that
 * depends on type profiles shared by every caller in the process; once other code has used them with other kinds of
 * segment (heap arrays, as a model load or an evaluation does), a loop over a tensor's own segment is compiled with
 * type tests and slower paths. Measured here in one JVM, on one thread (CPU time), streaming three bf16 inputs of N
 * elements: task_arithmetic through {@code MergeMethods} (the merge's own path, which reads and writes through
 * {@link NativeMemory#ALL} at checked addresses), and the same 16-element loop written both ways, through the
 * tensors' segments and through {@code ALL}; each before and after polluting the profiles with heap-segment
 * accesses; and the engine's bf16 GEMM for one and four activation rows (decode, last-position logits), whose weight
 * loads go through {@code NativeMemory.ALL} too. Profiles are read when a method is compiled, so each kind runs in JVMs of its own (started here, twice
 * each, alternated): a fresh one, and one that first uses heap segments. The path through segments slows down; the
 * others do not.
 *
 * <p>Usage: {@code ProfilePollutionBench [N] [ROUNDS]} (default 2^25 elements, 0.2 GB of input; best of 5).
 */
public final class ProfilePollutionBench {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> H = ShortVector.SPECIES_PREFERRED.withShape(
            jdk.incubator.vector.VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final int SLICE = 1 << 16;

    private ProfilePollutionBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--child")) {
            child(args[1].equals("polluted"), Long.parseLong(args[2]), Integer.parseInt(args[3]));
            return;
        }
        long n = (args.length > 0 ? Long.parseLong(args[0]) : 1L << 25) / SLICE * SLICE;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        System.out.printf(Locale.ROOT, "machine: %d cores, Java %s, N = %d bf16 elements (%.2f GB of input), one"
                + " thread, best of %d per JVM, two JVMs of each kind alternated%n%n",
                Runtime.getRuntime().availableProcessors(), Runtime.version(), n, 6.0 * n / 1e9, rounds);
        // profiles are read when a method is compiled, so the pollution has to come first, in a JVM of its own
        double[][] gbps = new double[2][NAMES.length];
        for (int rep = 0; rep < 2; rep++) {
            for (int polluted = 0; polluted < 2; polluted++) {
                double[] g = runChild(polluted == 1, n, rounds);
                for (int c = 0; c < g.length; c++) {
                    gbps[polluted][c] = Math.max(gbps[polluted][c], g[c]);
                }
            }
        }
        System.out.println("| case | per CPU-second, fresh JVM | after heap-segment use | ratio |");
        System.out.println("|---|---|---|---|");
        for (int c = 0; c < NAMES.length; c++) {
            System.out.printf(Locale.ROOT, "| %s | %.2f | %.2f | %.2f |%n", NAMES[c], gbps[0][c], gbps[1][c],
                    gbps[1][c] / gbps[0][c]);
        }
    }

    private static final String[] NAMES = {"task_arithmetic through MergeMethods (the merge's path), GB/s of input",
            "16-element loop through the tensors' segments, GB/s", "16-element loop through NativeMemory.ALL, GB/s",
            "engine GEMM, bf16 weights 4096 x 1536, m = 1, GFLOP/s", "the same, m = 4, GFLOP/s"};
    /** The GEMM cases' weight matrix and calls per measurement. */
    private static final int GEMM_ROWS = 4096;
    private static final int GEMM_COLS = 1536;
    private static final int GEMM_CALLS = 50;

    /** This bench in a JVM of its own, with the parent's JVM options: its three figures. */
    private static double[] runChild(boolean polluted, long n, int rounds) throws Exception {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), ProfilePollutionBench.class.getName(),
                "--child", polluted ? "polluted" : "fresh", Long.toString(n), Integer.toString(rounds)));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("the child JVM failed: " + out);
        }
        String[] f = out.substring(out.lastIndexOf('\n') + 1).trim().split(" ");
        double[] g = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            g[i] = Double.parseDouble(f[i]);
        }
        return g;
    }

    private static void child(boolean polluted, long n, int rounds) {
        if (polluted) {
            pollute();
        }
        Arena arena = Arena.ofShared();
        Tensor base = PagedStreamBench.filled(n, arena, true, 1, null);
        Tensor x = PagedStreamBench.filled(n, arena, true, 2, base);
        Tensor y = PagedStreamBench.filled(n, arena, true, 3, base);
        Tensor out = new Tensor(DType.BF16, Shape.of(n), HugePages.allocate(2 * n, arena));
        PackedMatrix w = PackedMatrix.zeros(GEMM_ROWS, GEMM_COLS, true);
        java.util.SplittableRandom random = new java.util.SplittableRandom(4);
        float[] row = new float[GEMM_COLS];
        for (int r = 0; r < GEMM_ROWS; r++) {
            for (int k = 0; k < GEMM_COLS; k++) {
                row[k] = (float) random.nextGaussian() * 0.02f;
            }
            w.setRow(r, row, 0);
        }
        WorkerPool pool = new WorkerPool(1);
        Runnable[] cases = {() -> merge(base, x, y, out, n), () -> viaSegments(base, x, y, out, n),
                () -> viaAddresses(base, x, y, out, n), () -> gemm(pool, w, 1), () -> gemm(pool, w, 4)};
        double flops = 2.0 * GEMM_ROWS * GEMM_COLS * GEMM_CALLS;
        double[] work = {6.0 * n, 6.0 * n, 6.0 * n, flops, 4 * flops};
        double[] gbps = new double[cases.length];
        for (int r = -2; r < rounds; r++) { // two warm-up rounds
            for (int c = 0; c < cases.length; c++) {
                long t0 = THREADS.getCurrentThreadCpuTime();
                cases[c].run();
                double g = work[c] / (THREADS.getCurrentThreadCpuTime() - t0);
                if (r >= 0) {
                    gbps[c] = Math.max(gbps[c], g);
                }
            }
        }
        System.out.println();
        StringBuilder line = new StringBuilder();
        for (double g : gbps) {
            line.append(String.format(Locale.ROOT, "%.4f ", g));
        }
        System.out.println(line.toString().trim());
        pool.close();
    }

    /** GEMM_CALLS products of m activation rows with the bf16 weights, one thread. */
    private static void gemm(WorkerPool pool, PackedMatrix w, int m) {
        float[] a = new float[m * GEMM_COLS];
        java.util.Arrays.fill(a, 0.5f);
        float[] c = new float[m * GEMM_ROWS];
        for (int i = 0; i < GEMM_CALLS; i++) {
            Gemm.multiply(pool, a, GEMM_COLS, m, w, null, c, GEMM_ROWS, false);
        }
    }

    /** task_arithmetic (weights 0.4, 0.3) over 64Ki-element slices, as a merge streams a tensor. */
    private static void merge(Tensor b, Tensor x, Tensor y, Tensor out, long n) {
        MergeMethod method = MergeMethods.byName("task_arithmetic");
        for (long from = 0; from < n; from += SLICE) {
            Tensor o = slice(out, from);
            MergeInputs in = new MergeInputs("w", false, List.of(
                    new MergeInputs.InputTensor("base", slice(b, from), Map.of()),
                    new MergeInputs.InputTensor("x", slice(x, from), Map.of("weight", 0.4)),
                    new MergeInputs.InputTensor("y", slice(y, from), Map.of("weight", 0.3))),
                    "base", Map.of(), DType.BF16, null, null, () -> o);
            method.merge(in, Arena.ofAuto());
        }
    }

    /** Heap segments of several kinds through the same JDK vector loads and stores the kernels use. */
    private static void pollute() {
        MemorySegment[] segments = {MemorySegment.ofArray(new byte[1 << 16]),
                MemorySegment.ofArray(new float[1 << 14]), MemorySegment.ofArray(new short[1 << 15]),
                Arena.ofAuto().allocate(1 << 16, 64)};
        long sum = 0;
        for (int r = 0; r < 3000; r++) {
            for (MemorySegment s : segments) {
                for (long o = 0; o + I.vectorByteSize() <= s.byteSize(); o += I.vectorByteSize()) {
                    IntVector v = IntVector.fromMemorySegment(I, s, o, LE);
                    v.add(1).intoMemorySegment(s, o, LE);
                    sum += v.lane(0);
                }
                for (long o = 0; o + H.vectorByteSize() <= s.byteSize(); o += H.vectorByteSize()) {
                    ShortVector.fromMemorySegment(H, s, o, LE).intoMemorySegment(s, o, LE);
                }
            }
        }
        if (sum == 42) {
            System.out.println();
        }
    }

    /**
     * The bf16 task_arithmetic of two fine-tunes (weights 0.4, 0.3), 16 elements at a time, through the tensors' own
     * segments; written out in the loop (a vector passed to a method that C2 does not inline is boxed).
     */
    private static void viaSegments(Tensor base, Tensor x0, Tensor x1, Tensor out, long n) {
        MemorySegment b = base.data();
        MemorySegment s0 = x0.data();
        MemorySegment s1 = x1.data();
        MemorySegment o = out.data();
        IntVector half = IntVector.broadcast(I, 0x7FFF);
        IntVector one = IntVector.broadcast(I, 1);
        IntVector top = IntVector.broadcast(I, 0xFFFF_0000);
        int l = F.length();
        for (long i = 0; i + l <= n; i += l) {
            FloatVector bv = ((IntVector) ShortVector.fromMemorySegment(H, b, 2 * i, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0)).lanewise(VectorOperators.LSHL, 16)
                    .reinterpretAsFloats();
            IntVector d = ((IntVector) ShortVector.fromMemorySegment(H, s0, 2 * i, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0)).lanewise(VectorOperators.LSHL, 16)
                    .reinterpretAsFloats().sub(bv).reinterpretAsInts();
            d = d.add(half).add(d.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            IntVector p = d.reinterpretAsFloats().mul(0.4f).reinterpretAsInts();
            p = p.add(half).add(p.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            FloatVector m = FloatVector.zero(F).add(p.reinterpretAsFloats());
            d = ((IntVector) ShortVector.fromMemorySegment(H, s1, 2 * i, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0)).lanewise(VectorOperators.LSHL, 16)
                    .reinterpretAsFloats().sub(bv).reinterpretAsInts();
            d = d.add(half).add(d.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            p = d.reinterpretAsFloats().mul(0.3f).reinterpretAsInts();
            p = p.add(half).add(p.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            IntVector mv = m.add(p.reinterpretAsFloats()).reinterpretAsInts();
            mv = mv.add(half).add(mv.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            IntVector r = bv.add(mv.reinterpretAsFloats()).reinterpretAsInts();
            ((ShortVector) r.add(r.lanewise(VectorOperators.LSHR, 16).and(one)).add(half)
                    .lanewise(VectorOperators.LSHR, 16).convertShape(VectorOperators.I2S, H, 0))
                    .intoMemorySegment(o, 2 * i, LE);
        }
    }

    /** {@link #viaSegments} through {@link NativeMemory#ALL} at addresses checked once. */
    private static void viaAddresses(Tensor base, Tensor x0, Tensor x1, Tensor out, long n) {
        long b = NativeMemory.address(base.data(), 0, 2 * n);
        long s0 = NativeMemory.address(x0.data(), 0, 2 * n);
        long s1 = NativeMemory.address(x1.data(), 0, 2 * n);
        long o = NativeMemory.address(out.data(), 0, 2 * n);
        MemorySegment all = NativeMemory.ALL;
        IntVector half = IntVector.broadcast(I, 0x7FFF);
        IntVector one = IntVector.broadcast(I, 1);
        IntVector top = IntVector.broadcast(I, 0xFFFF_0000);
        int l = F.length();
        for (long i = 0; i + l <= n; i += l) {
            FloatVector bv = ((IntVector) ShortVector.fromMemorySegment(H, all, b + 2 * i, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0)).lanewise(VectorOperators.LSHL, 16)
                    .reinterpretAsFloats();
            IntVector d = ((IntVector) ShortVector.fromMemorySegment(H, all, s0 + 2 * i, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0)).lanewise(VectorOperators.LSHL, 16)
                    .reinterpretAsFloats().sub(bv).reinterpretAsInts();
            d = d.add(half).add(d.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            IntVector p = d.reinterpretAsFloats().mul(0.4f).reinterpretAsInts();
            p = p.add(half).add(p.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            FloatVector m = FloatVector.zero(F).add(p.reinterpretAsFloats());
            d = ((IntVector) ShortVector.fromMemorySegment(H, all, s1 + 2 * i, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0)).lanewise(VectorOperators.LSHL, 16)
                    .reinterpretAsFloats().sub(bv).reinterpretAsInts();
            d = d.add(half).add(d.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            p = d.reinterpretAsFloats().mul(0.3f).reinterpretAsInts();
            p = p.add(half).add(p.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            IntVector mv = m.add(p.reinterpretAsFloats()).reinterpretAsInts();
            mv = mv.add(half).add(mv.lanewise(VectorOperators.LSHR, 16).and(one)).and(top);
            IntVector r = bv.add(mv.reinterpretAsFloats()).reinterpretAsInts();
            ((ShortVector) r.add(r.lanewise(VectorOperators.LSHR, 16).and(one)).add(half)
                    .lanewise(VectorOperators.LSHR, 16).convertShape(VectorOperators.I2S, H, 0))
                    .intoMemorySegment(all, o + 2 * i, LE);
        }
    }

    private static Tensor slice(Tensor t, long from) {
        return new Tensor(DType.BF16, Shape.of(SLICE), t.data().asSlice(2 * from, 2L * SLICE));
    }
}
