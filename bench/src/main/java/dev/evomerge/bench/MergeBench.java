package dev.evomerge.bench;

import dev.evomerge.core.synth.FineTuneSynthesizer;
import dev.evomerge.core.synth.ModelSynthesizer;
import dev.evomerge.core.synth.SynthArch;
import dev.evomerge.core.synth.SynthModelSpec;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.engine.CausalLanguageModel;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.WeightStorage;
import dev.evomerge.engine.load.ModelLoader;
import dev.evomerge.merge.MergeOptions;
import dev.evomerge.merge.MergeReporter;
import dev.evomerge.merge.MergeSession;
import dev.evomerge.merge.config.MergeConfig;
import dev.evomerge.merge.config.MergeConfigReader;
import dev.evomerge.merge.exec.ResidentTensors;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * Merge throughput and memory: three synthetic bf16 models of about 1 GB each (a base and two synthetic
 * fine-tunes) merged with linear, task_arithmetic, ties (density 0.5) and dare_ties, each twice: into safetensors
 * files (what {@code evomerge merge} does) and into resident weights (the merge alone, no file written). Each row
 * gives seconds, GB/s of input read, the ratio of that to this machine's memory-copy bandwidth measured in the same
 * run, and peak RSS (VmHWM, reset before each merge once the previous one's memory is returned). Then the evolution
 * loop's cost: re-merging a ~110M-parameter model into resident weights with new parameters.
 *
 * <p>Usage: {@code MergeBench WORKDIR [--threads N] [--rounds R] [--methods M,...] [--keep]
 * [--only-disk | --only-memory | --only-resident | --copy-only]} ({@code --rounds}: the big merges R times over, one
 * row each; {@code --methods}: a subset of the four; {@code --only-disk}: only the big merges; {@code --copy-only}:
 * only the memory-copy bandwidth, for a script that sets another process's figures against it). Models are
 * generated into WORKDIR (reused when present) and deleted at the end unless {@code --keep}. Disk: about 3.1 GB of
 * inputs, 1 GB of output at a time, 0.7 GB for the small models.
 */
public final class MergeBench {

    private MergeBench() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: MergeBench WORKDIR [--threads N] [--rounds R] [--methods M,...] [--keep]"
                    + " [--only-disk | --only-memory | --only-resident | --copy-only]");
            System.exit(2);
        }
        Path work = Path.of(args[0]).toAbsolutePath();
        int threads = Runtime.getRuntime().availableProcessors();
        boolean keep = false;
        boolean disk = true;
        boolean memory = true;
        boolean files = true;
        Path models = null;
        int rounds = 1;
        List<String> methods = List.of("linear", "task_arithmetic", "ties", "dare_ties");
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--keep" -> keep = true;
                case "--only-disk" -> memory = false;
                case "--only-memory" -> disk = false;
                case "--only-resident" -> {
                    files = false;
                    memory = false;
                }
                case "--models" -> models = Path.of(args[++i]).toAbsolutePath();
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--methods" -> methods = List.of(args[++i].split(","));
                case "--copy-only" -> {
                    disk = false;
                    memory = false;
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Files.createDirectories(work);
        System.out.printf(Locale.ROOT, "machine: %d cores, Java %s, %d threads%n",
                Runtime.getRuntime().availableProcessors(), Runtime.version(), threads);
        // The copy baseline of this 2-core VM varies between runs (two threads 15-25 GB/s in one quiet minute), so the
        // ratios use the best of three interleaved measurements of 20 copies each: the demanding reading.
        double copySingle = 0;
        double copyParallel = 0;
        for (int i = 0; i < 3; i++) {
            copySingle = Math.max(copySingle, copyBandwidth(1));
            copyParallel = Math.max(copyParallel, copyBandwidth(threads));
        }
        System.out.printf(Locale.ROOT, "memory copy bandwidth: %.2f GB/s (1 thread), %.2f GB/s (%d threads)%n",
                copySingle, copyParallel, threads);
        double copy = Math.max(copySingle, copyParallel);

        if (disk) {
            diskMerges(work, models, threads, copy, copyParallel, rounds, methods, files);
        }
        if (memory) {
            memoryMerges(work, threads);
        }
        if (!keep) {
            for (String d : List.of("big-base", "big-ft1", "big-ft2", "small-base", "small-ft1", "small-ft2")) {
                deleteTree(work.resolve(d));
            }
        }
    }

    private static void diskMerges(Path work, Path models, int threads, double copy, double copyParallel, int rounds,
                                   List<String> methods, boolean files) throws IOException {
        Path base;
        Path ft1;
        Path ft2;
        if (models != null) {
            // given models (e.g. bench/big760m.sh's): MODELS/base, MODELS/ft1, MODELS/ft2
            base = models.resolve("base");
            ft1 = models.resolve("ft1");
            ft2 = models.resolve("ft2");
        } else {
            // ~509M parameters: vocab 32000 x hidden 2048 (untied), 8 layers of intermediate 5632, 16 heads / 8 KV
            // heads.
            SynthModelSpec big = new SynthModelSpec(SynthArch.LLAMA, 32000, 2048, 8, 16, 8, 5632, DType.BF16, 1,
                    false, false);
            base = ensure(work.resolve("big-base"), () -> ModelSynthesizer.write(big, work.resolve("big-base")));
            Path b = base;
            ft1 = ensure(work.resolve("big-ft1"), () -> FineTuneSynthesizer.write(b, work.resolve("big-ft1"), 2, 0.5));
            ft2 = ensure(work.resolve("big-ft2"), () -> FineTuneSynthesizer.write(b, work.resolve("big-ft2"), 3, 0.5));
        }
        long modelBytes = sizeOf(base);
        System.out.printf(Locale.ROOT, "input model size: %.3f GB each (bf16)%n", modelBytes / 1e9);

        System.out.println();
        warmUp(work, threads);
        System.out.println("| method | output | seconds | input GB/s | ratio to memory copy | ratio to 2-thread copy"
                + " | 2-thread copy just before | ratio to it"
                + " | CPU s | input GB/s if alone | ratio if alone | peak RSS (VmHWM) | peak RSS / one input"
                + " | peak anonymous RSS | peak file-backed RSS |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        // This VM's copy bandwidth changes from one minute to the next (15-51 GB/s on two threads within an hour, and
        // the merge kernels' own speed by up to 1.8x within minutes, measured), so each row is also set against a
        // copy measured just before it (a paired reading), and the summary gives both the median of those paired
        // ratios and the median against the best copy of the whole run (the demanding reading).
        double bestCopy = copyParallel;
        java.util.Map<String, List<double[]>> byRow = new java.util.LinkedHashMap<>();
        List<String[]> all = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            for (String[] run : runs(base, ft1, ft2)) {
                if (methods.contains(run[0])) {
                    all.add(run);
                }
            }
        }
        for (String[] run : all) {
            MergeConfig cfg = MergeConfigReader.parse(run[1] + "dtype: bfloat16\n", run[0], w -> { });
            for (boolean toDisk : files ? new boolean[] {true, false} : new boolean[] {false}) {
                Path out = work.resolve("out-" + run[0]);
                deleteTree(out);
                try (MergeSession s = MergeSession.open(cfg, MergeOptions.defaults().withThreads(threads)
                        .withRandomSeed(1L), MergeReporter.silent());
                     ResidentTensors weights = toDisk ? null : new ResidentTensors(s.plan().outputs())) {
                  // resident: a second merge in the same session is what each later evolution candidate costs;
                  // passes 2 and 3 merge into the engine's bf16 weights of the base (what the in-memory evolution's
                  // candidates are merged into: packed GEMM panels, not row-major buffers)
                  CausalLanguageModel engine = null;
                  for (int pass = 0; pass < (toDisk ? 1 : 4); pass++) {
                    if (pass == 2) {
                        engine = ModelLoader.load(base, LoadOptions.defaults().withThreads(threads)
                                .withWeightStorage(WeightStorage.BFLOAT16));
                    }
                    double adjacent = copyBandwidth(threads);
                    bestCopy = Math.max(bestCopy, adjacent);
                    settle();
                    resetPeakRss();
                    RssSampler sampler = RssSampler.start();
                    long cpuStart = cpuNanos();
                    long start = System.nanoTime();
                    if (toDisk) {
                        s.writeModel(out);
                    } else if (engine != null) {
                        s.mergeInto(engine.weightSink());
                    } else {
                        s.mergeInto(weights);
                    }
                    double seconds = (System.nanoTime() - start) / 1e9;
                    double cpu = (cpuNanos() - cpuStart) / 1e9;
                    sampler.stop();
                    long peak = peakRss();
                    long input = s.plan().inputBytes();
                    double gbps = input / 1e9 / seconds;
                    // With other processes on the cores, wall time overstates the cost; CPU time / threads is what
                    // the wall time would be on an idle machine (an estimate: it assumes the threads kept every core
                    // busy).
                    double alone = input / 1e9 / Math.min(seconds, cpu / threads);
                    String row = toDisk ? "files" : new String[] {"resident", "resident, again", "engine bf16",
                            "engine bf16, again"}[pass];
                    byRow.computeIfAbsent(run[0] + " | " + row, x -> new ArrayList<>())
                            .add(new double[] {gbps, gbps / adjacent});
                    System.out.printf(Locale.ROOT, "| %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f GB/s | %.2f | %.1f"
                                    + " | %.2f | %.2f | %.2f GB | %.2f | %.2f GB | %.2f GB |%n", run[0], row, seconds,
                            gbps, gbps / copy, gbps / copyParallel, adjacent, gbps / adjacent, cpu,
                            alone, alone / copy, peak / 1e9,
                            (double) peak / modelBytes, sampler.anon() / 1e9, sampler.file() / 1e9);
                  }
                  var counts = s.cache().magnitudes();
                  if (counts.size() + counts.refused() > 0) {
                      // what the session keeps for streamed ties, and whether its bound dropped any of it
                      notes.add(String.format(Locale.ROOT, "%s (%s): magnitude counts of %d task vectors held,"
                              + " %.1f MB, %d reused, %d not kept (cache full)", run[0],
                              toDisk ? "files" : "resident", counts.size(), counts.bytesHeld() / 1e6, counts.hits(),
                              counts.refused()));
                  }
                  if (engine != null) {
                      engine.close();
                  }
                }
                deleteTree(out);
            }
        }
        System.out.println();
        notes.forEach(System.out::println);
        System.out.printf(Locale.ROOT, "%nbest 2-thread copy of the run: %.2f GB/s; medians against it:%n%n", bestCopy);
        System.out.println("| method | output | rounds | median input GB/s | median / best 2-thread copy"
                + " | median of each row / the copy just before it |");
        System.out.println("|---|---|---|---|---|---|");
        for (var e : byRow.entrySet()) {
            double median = median(e.getValue().stream().mapToDouble(v -> v[0]).toArray());
            System.out.printf(Locale.ROOT, "| %s | %d | %.2f | %.2f | %.2f |%n", e.getKey(), e.getValue().size(),
                    median, median / bestCopy, median(e.getValue().stream().mapToDouble(v -> v[1]).toArray()));
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /**
     * Collects garbage and waits until the resident set has stopped shrinking for 100 ms (G1 returns freed heap to
     * the system in the background after a collection; at most 10 s), so that a peak measured from now on is the merge's, not the previous one's.
     */
    private static void settle() throws IOException {
        System.gc();
        long last = Long.MAX_VALUE;
        int stable = 0;
        for (int i = 0; i < 400 && stable < 4; i++) {
            long now = rss();
            stable = now > last - (1 << 20) ? stable + 1 : 0;
            last = now;
            try {
                Thread.sleep(25);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static long rss() throws IOException {
        return status("VmRSS");
    }

    /** A kB field of /proc/self/status in bytes, or -1 when absent. */
    static long status(String field) throws IOException {
        return field(Files.readAllLines(Path.of("/proc/self/status")), field);
    }

    /** A kB field of the lines of a /proc status file in bytes, or -1 when absent. */
    static long field(List<String> status, String field) {
        for (String line : status) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        }
        return -1;
    }

    /** The four timed merges as {name, YAML without dtype}: linear of all three, then the base-model methods. */
    private static String[][] runs(Path base, Path ft1, Path ft2) {
        String models = "  - {model: %s, parameters: {weight: 0.4, density: 0.5}}\n".formatted(ft1)
                + "  - {model: %s, parameters: {weight: 0.3, density: 0.5}}\n".formatted(ft2);
        return new String[][] {
                {"linear", "merge_method: linear\nmodels:\n" + models
                        + "  - {model: %s, parameters: {weight: 0.3}}\n".formatted(base)},
                {"task_arithmetic", "merge_method: task_arithmetic\nbase_model: %s\nmodels:\n".formatted(base) + models},
                {"ties", "merge_method: ties\nbase_model: %s\nmodels:\n".formatted(base) + models},
                {"dare_ties", "merge_method: dare_ties\nbase_model: %s\nmodels:\n".formatted(base) + models}};
    }

    /**
     * The same four merges of the small models to disk, so that the timed merges run JIT-compiled code (a cold
     * Vector API loop allocates a vector object per operation until C2 compiles it, which both slows the first
     * tensors and grows the young generation).
     */
    private static void warmUp(Path work, int threads) throws IOException {
        Path[] small = smallModels(work);
        Path out = work.resolve("out-warmup");
        for (String[] run : runs(small[0], small[1], small[2])) {
            deleteTree(out);
            MergeConfig cfg = MergeConfigReader.parse(run[1] + "dtype: bfloat16\n", run[0], w -> { });
            try (MergeSession s = MergeSession.open(cfg, MergeOptions.defaults().withThreads(threads)
                    .withRandomSeed(1L), MergeReporter.silent())) {
                s.writeModel(out);
            }
        }
        deleteTree(out);
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static Path[] smallModels(Path work) {
        // ~110M parameters: hidden 768, 12 layers, vocab 32000, tied embeddings.
        SynthModelSpec small = new SynthModelSpec(SynthArch.LLAMA, 32000, 768, 12, 12, 12, 2048, DType.BF16, 7, true,
                false);
        Path sBase = ensure(work.resolve("small-base"), () -> ModelSynthesizer.write(small, work.resolve("small-base")));
        Path s1 = ensure(work.resolve("small-ft1"), () -> FineTuneSynthesizer.write(sBase, work.resolve("small-ft1"), 8,
                0.5));
        Path s2 = ensure(work.resolve("small-ft2"), () -> FineTuneSynthesizer.write(sBase, work.resolve("small-ft2"), 9,
                0.5));
        return new Path[] {sBase, s1, s2};
    }

    private static void memoryMerges(Path work, int threads) {
        // The evolution loop: ~110M parameters re-merged into resident weights.
        Path[] small = smallModels(work);
        Path sBase = small[0];
        Path s1 = small[1];
        Path s2 = small[2];
        System.out.println();
        System.out.println("| in-memory re-merge, ~110M parameters | first merge s | later merges s (mean of 5)"
                + " | later merges CPU s (mean) |");
        System.out.println("|---|---|---|---|");
        for (String method : List.of("task_arithmetic", "ties", "dare_ties")) {
            MergeOptions options = MergeOptions.defaults().withThreads(threads).withRandomSeed(1L)
                    .withTaskVectorCacheBytes(2L << 30);
            try (MergeSession s = MergeSession.open(candidate(method, sBase, s1, s2, 0.5, 0.5, 0.5), options,
                    MergeReporter.silent());
                 ResidentTensors weights = new ResidentTensors(s.plan().outputs())) {
                long t0 = System.nanoTime();
                s.mergeInto(weights);
                double first = (System.nanoTime() - t0) / 1e9;
                double total = 0;
                long cpu0 = cpuNanos();
                for (int k = 0; k < 5; k++) {
                    MergeConfig c = candidate(method, sBase, s1, s2, 0.2 + 0.1 * k, 0.7 - 0.1 * k, 0.3 + 0.1 * k);
                    long t = System.nanoTime();
                    s.mergeInto(c, weights);
                    total += (System.nanoTime() - t) / 1e9;
                }
                double cpu = (cpuNanos() - cpu0) / 1e9;
                long params = s.plan().outputs().stream().mapToLong(o -> o.shape().numel()).sum();
                System.out.printf(Locale.ROOT, "| %s (%dM parameters) | %.3f | %.3f | %.3f |%n", method,
                        params / 1_000_000, first, total / 5, cpu / 5);
            }
        }
    }

    private static MergeConfig candidate(String method, Path base, Path a, Path b, double wa, double wb, double d) {
        String yaml = """
                merge_method: %s
                base_model: %s
                models:
                  - {model: %s, parameters: {weight: %s, density: %s}}
                  - {model: %s, parameters: {weight: %s, density: %s}}
                dtype: bfloat16
                """.formatted(method, base, a, wa, d, b, wb, d);
        return MergeConfigReader.parse(yaml, method, w -> { });
    }

    /** Bytes copied per second by MemorySegment.copy of 256 MiB blocks on {@code threads} threads (best of 20). */
    static double copyBandwidth(int threads) {
        long size = 256L << 20;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment[] src = new MemorySegment[threads];
            MemorySegment[] dst = new MemorySegment[threads];
            long per = size / threads;
            for (int t = 0; t < threads; t++) {
                src[t] = arena.allocate(per, 64);
                dst[t] = arena.allocate(per, 64);
                src[t].fill((byte) 1);
                dst[t].fill((byte) 0);
            }
            double best = 0;
            for (int rep = 0; rep < 20; rep++) {
                long start = System.nanoTime();
                IntStream.range(0, threads).parallel().forEach(t -> MemorySegment.copy(src[t], 0, dst[t], 0, per));
                double s = (System.nanoTime() - start) / 1e9;
                best = Math.max(best, per * threads / 1e9 / s);
            }
            return best;
        }
    }

    /** Samples RssAnon and RssFile of /proc/self/status every 10 ms and keeps their maxima. */
    private static final class RssSampler {
        private final Thread thread;
        private volatile boolean running = true;
        private volatile long anon;
        private volatile long file;

        private RssSampler() {
            thread = new Thread(() -> {
                while (running) {
                    try {
                        List<String> status = Files.readAllLines(Path.of("/proc/self/status"));
                        anon = Math.max(anon, field(status, "RssAnon"));
                        file = Math.max(file, field(status, "RssFile"));
                        Thread.sleep(10);
                    } catch (IOException | InterruptedException e) {
                        return;
                    }
                }
            }, "rss-sampler");
            thread.setDaemon(true);
        }

        static RssSampler start() {
            RssSampler s = new RssSampler();
            s.thread.start();
            return s;
        }

        void stop() throws IOException {
            running = false;
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        long anon() {
            return anon;
        }

        long file() {
            return file;
        }
    }

    /** Resets VmHWM to the current RSS (Linux: writing 5 to /proc/self/clear_refs). */
    static void resetPeakRss() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException e) {
            System.err.println("cannot reset VmHWM: " + e.getMessage());
        }
    }

    /** VmHWM in bytes. */
    static long peakRss() throws IOException {
        return status("VmHWM");
    }

    private static Path ensure(Path dir, Runnable create) {
        if (!Files.exists(dir.resolve("config.json"))) {
            long start = System.nanoTime();
            create.run();
            System.out.printf(Locale.ROOT, "generated %s in %.1f s%n", dir.getFileName(),
                    (System.nanoTime() - start) / 1e9);
        }
        return dir;
    }

    private static long sizeOf(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".safetensors")).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        List<Path> all = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir)) {
            s.forEach(all::add);
        }
        all.sort(Comparator.reverseOrder());
        for (Path p : all) {
            Files.delete(p);
        }
    }
}
