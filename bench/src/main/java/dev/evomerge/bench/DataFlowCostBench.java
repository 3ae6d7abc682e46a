package dev.evomerge.bench;

import dev.evomerge.evolve.local.Trees;
import dev.evomerge.engine.CausalLanguageModel;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.WeightStorage;
import dev.evomerge.engine.load.ModelLoader;
import dev.evomerge.evolve.dataflow.LayerPath;
import dev.evomerge.evolve.dataflow.PassthroughExport;
import dev.evomerge.evolve.dataflow.PathStep;
import dev.evomerge.evolve.dataflow.ResidentPath;
import dev.evomerge.merge.MergeOptions;
import dev.evomerge.merge.MergeReporter;
import dev.evomerge.merge.MergeSession;
import dev.evomerge.merge.config.ModelReference;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Per-candidate cost of a data-flow candidate evaluated in memory ({@link ResidentPath}: model 0 re-pointed at
 * resident layers, nothing copied) against the way a tool without it evaluates one: write the path's passthrough model
 * ({@link PassthroughExport}, merged to disk by the merge library as {@code evomerge merge} does) and load it.
 *
 * <p>Both sides then score the same small workload (token logprobs of {@code --sequences} random sequences of
 * {@code --tokens} tokens), so the ratio is printed for the set-up alone and for set-up plus that workload. The path
 * is fixed: base layers 0-15, fine-tune layers 10-20 (borrowed, and overlapping, so layers 10-15 run twice), base
 * layers 21 to the last, with the stream scaled at the two joins (x1.2 and x0.8). Weights are held in bf16 on both
 * sides (the models are bf16 on disk). Each side runs {@code --rounds} candidates; the first round of each is a
 * warm-up and is not counted.
 *
 * <p>Usage: {@code DataFlowCostBench BASE_DIR FINETUNE_DIR WORKDIR [--rounds 3] [--sequences 4] [--tokens 64]
 * [--threads N]}. WORKDIR receives the exported models, each deleted after it is measured.
 */
public final class DataFlowCostBench {

    private DataFlowCostBench() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 3) {
            System.err.println("Usage: DataFlowCostBench BASE_DIR FINETUNE_DIR WORKDIR [--rounds 3] [--sequences 4]"
                    + " [--tokens 64] [--threads N]");
            System.exit(2);
        }
        Path base = Path.of(args[0]);
        Path tuned = Path.of(args[1]);
        Path work = Path.of(args[2]);
        int rounds = 3;
        int sequences = 4;
        int tokens = 64;
        int threads = Runtime.getRuntime().availableProcessors();
        for (int i = 3; i + 1 < args.length; i += 2) {
            int v = Integer.parseInt(args[i + 1]);
            switch (args[i]) {
                case "--rounds" -> rounds = v;
                case "--sequences" -> sequences = v;
                case "--tokens" -> tokens = v;
                case "--threads" -> threads = v;
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Files.createDirectories(work);
        LoadOptions load = LoadOptions.defaults().withWeightStorage(WeightStorage.BFLOAT16).withThreads(threads);
        MergeOptions merge = MergeOptions.defaults();
        List<ModelReference> refs = List.of(ModelReference.of(base.toString()), ModelReference.of(tuned.toString()));

        long t0 = System.nanoTime();
        try (CausalLanguageModel m0 = ModelLoader.load(base, load); CausalLanguageModel m1 = ModelLoader.load(tuned,
                load)) {
            double initialLoad = (System.nanoTime() - t0) / 1e9;
            int depth = m0.spec().numLayers();
            LayerPath path = path(depth);
            List<int[]> workload = workload(sequences, tokens, Math.min(m0.spec().vocabSize(), 32000));
            List<CausalLanguageModel> sources = List.of(m0, m1);
            System.out.printf(Locale.ROOT, "models: %s and %s, %d layers, hidden %d; path of %d layers; "
                            + "both sources loaded once in %.1f s; %d threads; workload %d x %d tokens%n", base, tuned,
                    depth, m0.spec().hiddenSize(), path.length(), initialLoad, threads, sequences, tokens);

            double memSetup = 0;
            double memScore = 0;
            double diskMerge = 0;
            double diskLoad = 0;
            double diskScore = 0;
            double checksumMem = 0;
            double checksumDisk = 0;
            for (int r = 0; r < rounds; r++) {
                boolean counted = r > 0;
                long a = System.nanoTime();
                ResidentPath running = ResidentPath.apply(sources, path);
                long b = System.nanoTime();
                double score = score(running.model(), workload);
                long c = System.nanoTime();
                running.close();
                long restored = System.nanoTime();
                // set-up: pointing model 0's layers at the path and back at its own
                double setup = (b - a + restored - c) / 1e9;
                if (counted) {
                    memSetup += setup;
                    memScore += (c - b) / 1e9;
                    checksumMem = score;
                }

                Path out = work.resolve("dfs-candidate-" + r);
                long d = System.nanoTime();
                try (MergeSession s = MergeSession.open(PassthroughExport.toConfig(path, refs, null), merge,
                        MergeReporter.silent())) {
                    s.writeModel(out);
                }
                long e = System.nanoTime();
                double diskScoreRound;
                long f;
                try (CausalLanguageModel loaded = ModelLoader.load(out, load)) {
                    f = System.nanoTime();
                    score = score(loaded, workload);
                    diskScoreRound = (System.nanoTime() - f) / 1e9;
                }
                Trees.delete(out);
                if (counted) {
                    diskMerge += (e - d) / 1e9;
                    diskLoad += (f - e) / 1e9;
                    diskScore += diskScoreRound;
                    checksumDisk = score;
                }
                System.out.printf(Locale.ROOT, "round %d%s: in memory %.6f s set-up + %.2f s scoring; on disk %.1f s"
                                + " merge-write + %.1f s load + %.2f s scoring%n", r, counted ? "" : " (warm-up)",
                        setup, (c - b) / 1e9, (e - d) / 1e9, (f - e) / 1e9, diskScoreRound);
            }
            int n = rounds - 1;
            double memTotal = (memSetup + memScore) / n;
            double diskSetup = (diskMerge + diskLoad) / n;
            double diskTotal = diskSetup + diskScore / n;
            System.out.printf(Locale.ROOT, "per candidate (mean of %d): in memory set-up %.6f s, scoring %.2f s, total"
                            + " %.2f s; on disk merge-write %.1f s, load %.1f s, scoring %.2f s, total %.1f s%n", n,
                    memSetup / n, memScore / n, memTotal, diskMerge / n, diskLoad / n, diskScore / n, diskTotal);
            System.out.printf(Locale.ROOT, "ratio on disk / in memory: set-up %.0fx, set-up + workload %.1fx; summed"
                            + " logprob in memory %.4f, from disk %.4f%n", diskSetup / (memSetup / n),
                    diskTotal / memTotal, checksumMem, checksumDisk);
        }
    }

    /** Base 0-15, fine-tune 10-20 entering at x1.2, base 21..end entering at x0.8 (scaled to the model's depth). */
    static LayerPath path(int depth) {
        int firstEnd = depth * 16 / 26;
        int borrowFrom = depth * 10 / 26;
        int borrowEnd = depth * 21 / 26;
        List<PathStep> steps = new ArrayList<>();
        for (int l = 0; l < firstEnd; l++) {
            steps.add(new PathStep(0, l, 1));
        }
        for (int l = borrowFrom; l < borrowEnd; l++) {
            steps.add(new PathStep(1, l, l == borrowFrom ? 1.2 : 1));
        }
        for (int l = borrowEnd; l < depth; l++) {
            steps.add(new PathStep(0, l, l == borrowEnd ? 0.8 : 1));
        }
        return new LayerPath(steps);
    }

    private static List<int[]> workload(int sequences, int tokens, int vocab) {
        SplittableRandom rnd = new SplittableRandom(7);
        List<int[]> out = new ArrayList<>();
        for (int s = 0; s < sequences; s++) {
            int[] ids = new int[tokens];
            for (int i = 0; i < tokens; i++) {
                ids[i] = rnd.nextInt(3, vocab);
            }
            out.add(ids);
        }
        return out;
    }

    /** The summed token logprobs, a checksum that both sides computed the same model. */
    private static double score(CausalLanguageModel m, List<int[]> workload) {
        double sum = 0;
        for (var s : m.tokenLogprobs(workload, 0)) {
            for (int j = 1; j < s.tokenLogprobs().length; j++) {
                sum += s.tokenLogprobs()[j];
            }
        }
        return sum;
    }
}
