package dev.evomerge.bench;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;
import dev.evomerge.merge.method.MaskSource;
import dev.evomerge.merge.method.MergeInputs;
import dev.evomerge.merge.method.MergeMethods;
import dev.evomerge.merge.method.TaskVectorCache;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * The merge methods' tensor math alone (no I/O): one tensor of N elements from a base and two fine-tunes, merged
 * with linear, task_arithmetic, ties and dare_ties, with and without a {@link TaskVectorCache} (the evolution
 * loop's re-merge). Reports best-of-R milliseconds, input elements per second, and the ratio of input bytes per
 * second to a memory copy of the same bytes measured in the same run.
 *
 * <p>Usage: {@code MethodKernelBench [N] [REPEATS]} (default 16777216 elements, 5 repeats).
 */
public final class MethodKernelBench {

    private MethodKernelBench() {
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1 << 24;
        int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        System.out.printf(Locale.ROOT, "machine: %d cores, Java %s, N = %d elements, best of %d%n",
                Runtime.getRuntime().availableProcessors(), Runtime.version(), n, repeats);
        System.out.println();
        System.out.println("| dtype | case | ms | M input elements/s | input GB/s | ratio to memory copy |");
        System.out.println("|---|---|---|---|---|---|");
        for (DType d : List.of(DType.F32, DType.BF16)) {
            Tensor base = random(d, n, 1, 0.0);
            Tensor x = perturbed(base, 2);
            Tensor y = perturbed(base, 3);
            long inputBytes = 3 * base.byteSize();
            double copyMs = bestMillis(repeats, () -> copy(base, x, y));
            double copyGbs = inputBytes / (copyMs / 1e3) / 1e9;
            row(d, "memory copy of the 3 inputs", copyMs, 3L * n, inputBytes, copyGbs);
            Map<String, Double> none = Map.of();
            List<MergeInputs.InputTensor> lin = List.of(
                    new MergeInputs.InputTensor("base", base, Map.of("weight", 0.4)),
                    new MergeInputs.InputTensor("x", x, Map.of("weight", 0.35)),
                    new MergeInputs.InputTensor("y", y, Map.of("weight", 0.25)));
            MergeInputs linear = new MergeInputs("w", false, lin, null, none, d, null, null);
            row(d, "linear", bestMillis(repeats, () -> MergeMethods.byName("linear").merge(linear)), 3L * n,
                    inputBytes, copyGbs);
            List<MergeInputs.InputTensor> gta = List.of(
                    new MergeInputs.InputTensor("base", base, Map.of()),
                    new MergeInputs.InputTensor("x", x, Map.of("weight", 0.6, "density", 0.3)),
                    new MergeInputs.InputTensor("y", y, Map.of("weight", 0.4, "density", 0.3)));
            MergeInputs plain = new MergeInputs("w", false, gta, "base", none, d, MaskSource.seeded(1), null);
            for (String method : List.of("task_arithmetic", "ties", "dare_ties")) {
                row(d, method, bestMillis(repeats, () -> MergeMethods.byName(method).merge(plain)), 3L * n,
                        inputBytes, copyGbs);
                TaskVectorCache cache = new TaskVectorCache();
                MergeInputs cached = plain.withCache(cache);
                MergeMethods.byName(method).merge(cached); // fill the cache once, as the first candidate would
                row(d, method + " (warm TaskVectorCache)",
                        bestMillis(repeats, () -> MergeMethods.byName(method).merge(cached)), 3L * n, inputBytes,
                        copyGbs);
            }
        }
    }

    private static void row(DType d, String name, double ms, long elements, long bytes, double copyGbs) {
        double gbs = bytes / (ms / 1e3) / 1e9;
        System.out.printf(Locale.ROOT, "| %s | %s | %.1f | %.0f | %.2f | %.2f |%n", d.torchName(), name, ms,
                elements / (ms / 1e3) / 1e6, gbs, gbs / copyGbs);
    }

    private static Object copy(Tensor... ts) {
        List<MemorySegment> out = new ArrayList<>();
        for (Tensor t : ts) {
            MemorySegment dst = Arena.ofAuto().allocate(t.byteSize(), 64);
            dst.copyFrom(t.data());
            out.add(dst);
        }
        return out;
    }

    private static double bestMillis(int repeats, Supplier<Object> work) {
        work.get(); // warm-up (JIT)
        double best = Double.MAX_VALUE;
        for (int r = 0; r < repeats; r++) {
            long t0 = System.nanoTime();
            Object o = work.get();
            long t1 = System.nanoTime();
            if (o == null) {
                throw new IllegalStateException();
            }
            best = Math.min(best, (t1 - t0) / 1e6);
        }
        return best;
    }

    private static Tensor random(DType d, int n, long seed, double offset) {
        Tensor t = Tensor.allocate(d, Shape.of(n), Arena.ofAuto());
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            t.setFloat(i, (float) (offset + rnd.nextGaussian() * 0.02));
        }
        return t;
    }

    private static Tensor perturbed(Tensor base, long seed) {
        Tensor t = Tensor.allocate(base.dtype(), base.shape(), Arena.ofAuto());
        SplittableRandom rnd = new SplittableRandom(seed);
        for (long i = 0; i < base.numel(); i++) {
            t.setFloat(i, (float) (base.getFloat(i) + rnd.nextGaussian() * 0.002));
        }
        return t;
    }
}
