package dev.evomerge.bench;

import dev.evomerge.engine.CausalLanguageModel;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.WeightStorage;
import dev.evomerge.engine.load.ModelLoader;
import dev.evomerge.merge.MergeOptions;
import dev.evomerge.merge.MergeReporter;
import dev.evomerge.merge.MergeSession;
import dev.evomerge.merge.config.MergeConfig;
import dev.evomerge.merge.config.MergeConfigReader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The engine's re-merge with each block's panel stores carried by the next block's kernel (staged, the default)
 * against the same merge with the panels stored in a pass of their own after each block (system property
 * {@code evomerge.streamKernels.carry=false}), alternated round by round in one JVM, so that the machine's drift
 * between minutes falls on both alike (docs/benchmarks.md, "Panel stores carried by the next block's kernel"). The
 * models are a directory with {@code base}, {@code ft1} and {@code ft2} (bf16 safetensors, as MergeBench generates
 * them); each method's merges go into the engine's bf16 weights of the base, two threads, as the in-memory
 * evolution's candidates do. Prints each way's median seconds, input GB/s (the three inputs' bytes) and its ratio to
 * the two-thread memory copy measured before and after the method's rounds.
 *
 * <p>Usage: {@code CarriedStoreBench MODELS [ROUNDS [METHODS]]} (default 8 rounds of each way, linear,
 * task_arithmetic and ties).
 */
public final class CarriedStoreBench {

    private static final String CARRY = "evomerge.streamKernels.carry";

    private CarriedStoreBench() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: CarriedStoreBench MODELS [ROUNDS [METHODS]]");
            System.exit(2);
        }
        Path models = Path.of(args[0]);
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        List<String> methods = List.of((args.length > 2 ? args[2] : "linear,task_arithmetic,ties").split(","));
        Path base = models.resolve("base");
        Path ft1 = models.resolve("ft1");
        Path ft2 = models.resolve("ft2");
        long inputBytes = 0;
        for (Path m : List.of(base, ft1, ft2)) {
            inputBytes += Files.size(m.resolve("model.safetensors"));
        }
        int threads = 2;
        System.out.printf(Locale.ROOT, "inputs %.2f GB; %d rounds of each way, alternated; %d threads%n",
                inputBytes / 1e9, rounds, threads);
        System.out.println("| method | panels stored | median s | input GB/s | / 2-thread copy | carried / in a pass |");
        System.out.println("|---|---|---|---|---|---|");
        try (CausalLanguageModel engine = ModelLoader.load(base, LoadOptions.defaults().withThreads(threads)
                .withWeightStorage(WeightStorage.BFLOAT16))) {
            for (String method : methods) {
                try (MergeSession s = MergeSession.open(config(method, base, ft1, ft2), MergeOptions.defaults()
                        .withThreads(threads).withRandomSeed(1L), MergeReporter.silent())) {
                    double copyBefore = MergeBench.copyBandwidth(threads);
                    List<Double> carried = new ArrayList<>();
                    List<Double> pass = new ArrayList<>();
                    for (int r = -2; r < rounds; r++) {
                        for (boolean carry : new boolean[] {true, false}) {
                            System.setProperty(CARRY, Boolean.toString(carry));
                            long t = System.nanoTime();
                            s.mergeInto(engine.weightSink());
                            double sec = (System.nanoTime() - t) / 1e9;
                            if (r >= 0) {
                                (carry ? carried : pass).add(sec);
                            }
                        }
                    }
                    System.clearProperty(CARRY);
                    double copy = Math.max(copyBefore, MergeBench.copyBandwidth(threads));
                    double c = median(carried);
                    double p = median(pass);
                    System.out.printf(Locale.ROOT, "| %s | carried by the next block | %.3f | %.2f | %.2f | %.2f |%n",
                            method, c, inputBytes / 1e9 / c, inputBytes / 1e9 / c / copy, c / p);
                    System.out.printf(Locale.ROOT, "| %s | in a pass after each block | %.3f | %.2f | %.2f | |%n",
                            method, p, inputBytes / 1e9 / p, inputBytes / 1e9 / p / copy);
                    System.out.printf(Locale.ROOT, "(%s: two-thread copy %.2f GB/s before, best %.2f)%n", method,
                            copyBefore, copy);
                }
            }
        }
    }

    private static MergeConfig config(String method, Path base, Path ft1, Path ft2) {
        String models = "  - {model: %s, parameters: {weight: 0.4, density: 0.5}}\n".formatted(ft1)
                + "  - {model: %s, parameters: {weight: 0.3, density: 0.5}}\n".formatted(ft2);
        String yaml = method.equals("linear")
                ? "merge_method: linear\nmodels:\n" + models
                        + "  - {model: %s, parameters: {weight: 0.3}}\n".formatted(base)
                : "merge_method: " + method + "\nbase_model: %s\nmodels:\n".formatted(base) + models;
        return MergeConfigReader.parse(yaml + "dtype: bfloat16\n", method, w -> { });
    }

    private static double median(List<Double> v) {
        double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }
}
