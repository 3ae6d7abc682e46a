package dev.evomerge.bench;

import dev.evomerge.core.synth.ModelSynthesizer;
import dev.evomerge.core.synth.SynthArch;
import dev.evomerge.core.synth.SynthModelSpec;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.engine.CausalLanguageModel;
import dev.evomerge.engine.GenerationRequest;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.load.ModelLoader;
import dev.evomerge.engine.ModelSpec;
import dev.evomerge.engine.WeightStorage;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.stream.Stream;

/**
 * Engine throughput on a synthetic ~134M-parameter Llama (hidden 768, 12 layers, 12 heads, intermediate 2048,
 * vocab 32000, fp32; 85M parameters in the decoder's matrices): prefill and scoring of 8 x 128 tokens, decode
 * tokens/s at batch 1 and 8, each as GFLOP/s and as a fraction of this machine's fp32 FMA peak, which is measured in
 * the same run (a register-resident FMA loop with 12 independent vector accumulators on every core).
 * Each workload is also reported per CPU-second (FLOPs / process CPU time, against the one-core FMA peak measured by
 * thread CPU time): that figure is not distorted when other processes share the cores, the wall-clock one is.
 *
 * <p>Usage: {@code EngineBench [--threads N] [--model DIR] [--bf16] [--rounds R]}; without {@code --model} the
 * model is synthesized into a temporary directory (deleted afterwards).
 */
public final class EngineBench {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /** Results, printed once the best wall-clock peak of the whole run is known. */
    private record Result(String what, double tokens, double flops, Timing timing) {
    }

    /** Samples the all-core FMA peak between timed rounds; the best sample is the run's peak. */
    private static final class PeakSampler {
        private final int threads;
        private double best;

        PeakSampler(int threads) {
            this.threads = threads;
        }

        void sample() {
            best = Math.max(best, fmaPeak(threads, 1, 20_000_000L));
        }
    }

    private EngineBench() {
    }

    public static void main(String[] args) throws Exception {
        int threads = Runtime.getRuntime().availableProcessors();
        Path modelDir = null;
        boolean bf16 = false;
        int rounds = 5;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--model" -> modelDir = Path.of(args[++i]);
                case "--bf16" -> bf16 = true;
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Path tmp = null;
        if (modelDir == null) {
            tmp = Files.createTempDirectory("engine-bench");
            long t0 = System.nanoTime();
            SynthModelSpec spec = new SynthModelSpec(SynthArch.LLAMA, 32000, 768, 12, 12, 12, 2048, DType.F32, 1,
                    false, false);
            modelDir = ModelSynthesizer.write(spec, tmp.resolve("llama-100m")).directory();
            System.out.printf("synthesized %s in %.1f s%n", modelDir, (System.nanoTime() - t0) / 1e9);
        }
        try {
            run(modelDir, threads, bf16, rounds);
        } finally {
            if (tmp != null) {
                deleteTree(tmp);
            }
        }
    }

    private static void run(Path modelDir, int threads, boolean bf16, int rounds) {
        System.out.printf("machine: %d available processors, %d-bit float vectors (%d lanes), Java %s%n",
                Runtime.getRuntime().availableProcessors(), F.vectorBitSize(), F.length(),
                Runtime.version());
        fmaLoop(20_000_000L); // compile the peak loop
        PeakSampler peak = new PeakSampler(threads);
        peak.best = fmaPeak(threads, 5, 50_000_000L);
        double corePeak = fmaPeakPerCpuSecond();
        List<Result> results = new ArrayList<>();
        long t0 = System.nanoTime();
        LoadOptions options = LoadOptions.defaults().withThreads(threads)
                .withWeightStorage(bf16 ? WeightStorage.BFLOAT16 : WeightStorage.FLOAT32);
        try (CausalLanguageModel m = ModelLoader.load(modelDir, options)) {
            System.out.printf("loaded in %.1f s (%s weights)%n", (System.nanoTime() - t0) / 1e9,
                    bf16 ? "bf16" : "fp32");
            ModelSpec s = m.spec();
            long matrixParams = (long) s.numLayers() * s.hiddenSize()
                    * ((long) s.numHeads() * s.headDim() + 2L * s.numKeyValueHeads() * s.headDim()
                    + (long) s.numHeads() * s.headDim() + 3L * s.intermediateSize());
            long headParams = (long) s.vocabSize() * s.hiddenSize();
            int batch = 8;
            int len = 128;
            SplittableRandom rnd = new SplittableRandom(1);
            List<int[]> prompts = new ArrayList<>();
            for (int b = 0; b < batch; b++) {
                prompts.add(rnd.ints(len, 3, s.vocabSize()).toArray());
            }
            double attention = attentionFlops(s, batch, len);
            double rows = batch * len;

            // Prefill: every prompt token through the decoder, logits only after the last one (= first token).
            List<GenerationRequest> one = prompts.stream().map(p -> GenerationRequest.greedy(p, 1, Set.of())).toList();
            Timing prefill = time(rounds, peak, () -> m.generate(one));
            double prefillFlops = 2 * rows * matrixParams + attention + 2.0 * batch * headParams;
            results.add(new Result("prefill 8 x 128 (logits at last position)", rows, prefillFlops, prefill));

            // Scoring: logits and log-softmax at every position (what loglikelihood requests need).
            Timing score = time(rounds, peak, () -> m.tokenLogprobs(prompts, 0));
            double scoreFlops = 2 * rows * (matrixParams + headParams) + attention;
            results.add(new Result("scoring 8 x 128 (logits at every position)", rows, scoreFlops, score));

            // Decode: the time between the first and the last generated token of one generation (the first
            // token ends the prefill), read off token arrival times; best of several generations.
            int n = 32;
            for (int b : new int[]{1, batch}) {
                Timing perStep = decodeStep(m, prompts.subList(0, b), n, Math.max(2, rounds / 2), peak);
                double stepFlops = 2.0 * b * (matrixParams + headParams)
                        + 4.0 * b * s.numLayers() * s.numHeads() * s.headDim() * (len + n / 2.0);
                results.add(new Result(String.format("decode batch %d (context ~%d)", b, len + n / 2), b, stepFlops,
                        perStep));
            }
            System.out.printf("fp32 FMA peak: %d threads %.1f GFLOP/s wall (best sample, taken before every timed"
                    + " round); one core per CPU-second %.1f GFLOP/s%n", threads, peak.best, corePeak);
            for (Result r : results) {
                report(r.what(), r.tokens(), r.flops(), r.timing(), peak.best, corePeak);
            }
            long weightBytes = (matrixParams + headParams) * (bf16 ? 2 : 4);
            for (Result r : results.subList(2, results.size())) {
                System.out.printf("%s: weights streamed per step %.0f MB -> %.1f GB/s%n", r.what(), weightBytes / 1e6,
                        weightBytes / r.timing().wall() / 1e9);
            }
        }
    }

    /** Wall and CPU seconds per decode step (all sequences advance one token), best of several generations. */
    private static Timing decodeStep(CausalLanguageModel m, List<int[]> prompts, int steps, int rounds,
                                     PeakSampler peak) {
        double wall = Double.MAX_VALUE;
        double cpu = Double.MAX_VALUE;
        for (int round = 0; round <= rounds; round++) {
            peak.sample();
            long[] wallAt = new long[steps + 1];
            long[] cpuAt = new long[steps + 1];
            int[] seen = new int[1];
            List<GenerationRequest> reqs = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i++) {
                GenerationRequest r = GenerationRequest.greedy(prompts.get(i), steps + 1, Set.of());
                if (i == 0) {
                    // tokens of request 0 arrive once per step, after every sequence's logits of that step
                    r = r.withListener(t -> {
                        wallAt[seen[0]] = System.nanoTime();
                        cpuAt[seen[0]] = processCpuNanos();
                        seen[0]++;
                    });
                }
                reqs.add(r);
            }
            m.generate(reqs);
            if (round > 0) { // round 0 warms up
                wall = Math.min(wall, (wallAt[steps] - wallAt[0]) / 1e9 / steps);
                cpu = Math.min(cpu, (cpuAt[steps] - cpuAt[0]) / 1e9 / steps);
            }
        }
        return new Timing(wall, cpu);
    }

    private static void report(String what, double tokens, double flops, Timing t, double peak, double corePeak) {
        double gflops = flops / t.wall() / 1e9;
        double perCpu = flops / t.cpu() / 1e9;
        System.out.printf("%-44s %8.1f tokens/s %7.1f GFLOP/s = %.2f of FMA peak | per CPU-second %6.1f GFLOP/s"
                + " = %.2f of one core's peak%n", what, tokens / t.wall(), gflops, gflops / peak, perCpu,
                perCpu / corePeak);
    }

    /** Attention matmul FLOPs (QKᵀ and PV) of causal prefill. */
    private static double attentionFlops(ModelSpec s, int batch, int len) {
        double pairs = len * (len + 1) / 2.0;
        return 4.0 * batch * s.numLayers() * s.numHeads() * s.headDim() * pairs;
    }

    /** Best wall time and best process CPU time (seconds) of several runs after one warm-up run. */
    private record Timing(double wall, double cpu) {
    }

    private static Timing time(int rounds, PeakSampler peak, Runnable r) {
        r.run();
        double wall = Double.MAX_VALUE;
        double cpu = Double.MAX_VALUE;
        for (int i = 0; i < rounds; i++) {
            peak.sample();
            long c0 = processCpuNanos();
            long t0 = System.nanoTime();
            r.run();
            wall = Math.min(wall, (System.nanoTime() - t0) / 1e9);
            cpu = Math.min(cpu, (processCpuNanos() - c0) / 1e9);
        }
        return new Timing(wall, cpu);
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** One-core FMA peak measured by thread CPU time (immune to time slices lost to other processes). */
    static double fmaPeakPerCpuSecond() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        double best = 0;
        for (int round = 0; round < 3; round++) {
            long iters = 50_000_000L;
            long c0 = mx.getCurrentThreadCpuTime();
            float f = fmaLoop(iters);
            double seconds = (mx.getCurrentThreadCpuTime() - c0) / 1e9;
            if (f == 42) {
                System.out.println();
            }
            best = Math.max(best, 2.0 * 12 * F.length() * iters / seconds / 1e9);
        }
        return best;
    }

    /** GFLOP/s of 12 independent FMA chains per thread, all threads together; best of some rounds. */
    static double fmaPeak(int threads, int rounds, long iters) {
        double best = 0;
        for (int round = 0; round < rounds; round++) {
            DoubleAdder sink = new DoubleAdder();
            List<Thread> ts = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                Thread th = new Thread(() -> sink.add(fmaLoop(iters)));
                ts.add(th);
                th.start();
            }
            for (Thread th : ts) {
                try {
                    th.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (sink.sum() == 42) {
                System.out.println(); // keeps the result alive
            }
            best = Math.max(best, 2.0 * 12 * F.length() * iters * threads / seconds / 1e9);
        }
        return best;
    }

    private static float fmaLoop(long iters) {
        FloatVector m = FloatVector.broadcast(F, 0.99999994f);
        FloatVector a = FloatVector.broadcast(F, 1e-8f);
        FloatVector v0 = FloatVector.broadcast(F, 1f);
        FloatVector v1 = v0.add(1e-7f);
        FloatVector v2 = v0.add(2e-7f);
        FloatVector v3 = v0.add(3e-7f);
        FloatVector v4 = v0.add(4e-7f);
        FloatVector v5 = v0.add(5e-7f);
        FloatVector v6 = v0.add(6e-7f);
        FloatVector v7 = v0.add(7e-7f);
        FloatVector v8 = v0.add(8e-7f);
        FloatVector v9 = v0.add(9e-7f);
        FloatVector v10 = v0.add(1e-6f);
        FloatVector v11 = v0.add(1.1e-6f);
        for (long i = 0; i < iters; i++) {
            v0 = v0.fma(m, a);
            v1 = v1.fma(m, a);
            v2 = v2.fma(m, a);
            v3 = v3.fma(m, a);
            v4 = v4.fma(m, a);
            v5 = v5.fma(m, a);
            v6 = v6.fma(m, a);
            v7 = v7.fma(m, a);
            v8 = v8.fma(m, a);
            v9 = v9.fma(m, a);
            v10 = v10.fma(m, a);
            v11 = v11.fma(m, a);
        }
        return v0.add(v1).add(v2).add(v3).add(v4).add(v5).add(v6).add(v7).add(v8).add(v9).add(v10).add(v11)
                .reduceLanes(VectorOperators.ADD);
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
