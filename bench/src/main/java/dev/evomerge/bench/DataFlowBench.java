package dev.evomerge.bench;

import dev.evomerge.evolve.CandidateEvaluationOptions;
import dev.evomerge.evolve.EvolutionLauncher;
import dev.evomerge.evolve.EvolveOptions;
import dev.evomerge.evolve.LlmOptions;
import dev.evomerge.evolve.OptimizerKind;
import dev.evomerge.evolve.SearchOptions;
import dev.evomerge.evolve.dataflow.DataFlowEvaluator;
import dev.evomerge.evolve.dataflow.DataFlowGenome;
import dev.evomerge.evolve.dataflow.LayerPath;
import dev.evomerge.evolve.dataflow.SearchSpace;
import dev.evomerge.evolve.demo.HiddenPath;
import dev.evomerge.evolve.optimizer.CmaEs;
import dev.evomerge.evolve.optimizer.Optimizer;
import dev.evomerge.evolve.optimizer.Population;
import dev.evomerge.evolve.optimizer.RandomSearch;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.Fitness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The data-flow search on the hidden-path problem ({@link HiddenPath}, the data-flow demo's problem: two synthetic
 * 4-layer models, 96 questions, 16 inclusion + 4 model-pair scaling genes): evaluations until a candidate reaches 95 %
 * of the hidden path's fitness, per optimizer seed, for CMA-ES (started as evolve starts it: model 0's own path,
 * sigma0 1/6) and random search. Every candidate counts as an evaluation, penalised ones (path over max_layers, not
 * run) included and reported apart; a path already scored is not run again (its score is deterministic), which saves
 * time and changes no count.
 *
 * <p>Usage: {@code DataFlowBench [--seeds 5] [--budget 400] [--problem-seed 1] [--threads N] [--work DIR]
 * [--sigma0 0.1667] [--optimizers cmaes,random]}.
 */
public final class DataFlowBench {

    static final double TARGET_FRACTION = 0.95;

    record Run(int toTarget, int evaluations, int penalised, double best, double seconds) {
    }

    public static void main(String[] args) throws Exception {
        int seeds = 5;
        int budget = 400;
        long problemSeed = 1;
        int threads = Runtime.getRuntime().availableProcessors();
        Path work = null;
        double sigma0 = CmaEs.DEFAULT_SIGMA0;
        List<String> optimizers = List.of("cmaes", "random");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seeds" -> seeds = Integer.parseInt(args[++i]);
                case "--budget" -> budget = Integer.parseInt(args[++i]);
                case "--problem-seed" -> problemSeed = Long.parseLong(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--work" -> work = Path.of(args[++i]);
                case "--sigma0" -> sigma0 = Double.parseDouble(args[++i]);
                case "--optimizers" -> optimizers = List.of(args[++i].split(","));
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Path dir = work != null ? work : Files.createTempDirectory("dataflow-bench-");
        long t0 = System.nanoTime();
        HiddenPath.Setup setup = HiddenPath.prepare(dir.resolve("problem"), problemSeed, 96, threads);
        EvolveOptions o = new EvolveOptions(setup.genomeFile(), dir.resolve("run"), false,
                SearchOptions.of(OptimizerKind.CMAES, 0, 1), LlmOptions.of("gpt-4o", null, null),
                CandidateEvaluationOptions.inMemory(List.of(setup.taskDir()), 32, threads), false, false, false);
        EvolutionLauncher launcher = new EvolutionLauncher(o, w -> { }).space(SearchSpace.DFS);
        EvolutionLauncher.Prepared p = launcher.prepare();
        DataFlowGenome genome = launcher.dataFlow().genome();
        int population = Population.defaultSize(genome.size());
        try (DataFlowEvaluator evaluator = (DataFlowEvaluator) launcher.localEvaluator(p)) {
            Map<LayerPath, Double> scored = new HashMap<>();
            double target = fitness(evaluator, p, genome, setup.targetGenes(), scored);
            System.out.printf(Locale.ROOT, "hidden path fitness %.4f; target %.4f; genes %d; population %d; setup %.0f s%n",
                    target, TARGET_FRACTION * target, genome.size(), population, (System.nanoTime() - t0) / 1e9);
            for (String optimizer : optimizers) {
                List<Run> runs = new ArrayList<>();
                for (int seed = 1; seed <= seeds; seed++) {
                    Optimizer opt = optimizer.equals("cmaes")
                            ? CmaEs.start(genome.initialGenes(), sigma0, population, seed)
                            : new RandomSearch(genome.size(), population, seed);
                    Run r = run(opt, evaluator, p, genome, scored, TARGET_FRACTION * target, budget);
                    runs.add(r);
                    System.out.printf(Locale.ROOT, "%s seed %d: %s evaluations to target (%d penalised of %d), best %.4f, %.0f s%n",
                            optimizer, seed, r.toTarget() > 0 ? String.valueOf(r.toTarget()) : "not reached",
                            r.penalised(), r.evaluations(), r.best(), r.seconds());
                }
                List<Integer> counts = runs.stream().map(r -> r.toTarget() > 0 ? r.toTarget() : Integer.MAX_VALUE).sorted().toList();
                int median = counts.get(counts.size() / 2);
                System.out.printf(Locale.ROOT, "%s: median %s, reached %d/%d%n", optimizer,
                        median == Integer.MAX_VALUE ? "not reached" : String.valueOf(median),
                        runs.stream().filter(r -> r.toTarget() > 0).count(), runs.size());
            }
        }
        System.out.printf(Locale.ROOT, "total %.0f s%n", (System.nanoTime() - t0) / 1e9);
    }

    private static Run run(Optimizer opt, DataFlowEvaluator evaluator, EvolutionLauncher.Prepared p, DataFlowGenome genome,
                           Map<LayerPath, Double> scored, double goal, int budget) {
        long t0 = System.nanoTime();
        int evaluations = 0;
        int penalised = 0;
        double best = Double.NEGATIVE_INFINITY;
        while (evaluations < budget) {
            List<double[]> genes = opt.ask();
            double[] f = new double[genes.size()];
            for (int k = 0; k < f.length; k++) {
                evaluations++;
                if (genome.tooLong(genome.decode(genes.get(k)))) {
                    penalised++;
                }
                f[k] = fitness(evaluator, p, genome, genes.get(k), scored);
                best = Math.max(best, f[k]);
                if (f[k] >= goal) {
                    return new Run(evaluations, evaluations, penalised, best, (System.nanoTime() - t0) / 1e9);
                }
            }
            opt.tell(genes, f);
        }
        return new Run(0, evaluations, penalised, best, (System.nanoTime() - t0) / 1e9);
    }

    private static double fitness(DataFlowEvaluator evaluator, EvolutionLauncher.Prepared p, DataFlowGenome genome,
                                  double[] genes, Map<LayerPath, Double> scored) {
        LayerPath path = genome.decode(genes);
        Double known = scored.get(path);
        if (known != null) {
            return known;
        }
        Evaluation e = evaluator.evaluate(new Candidate(0, 0, genes, dev.evomerge.evolve.dataflow.PathExport.PASSTHROUGH
                .export(path, genome.models().stream().map(dev.evomerge.merge.config.ModelReference::parse).toList())));
        double f;
        if (DataFlowEvaluator.isPenalty(e)) {
            f = e.score();
        } else if (e.error() != null) {
            throw new IllegalStateException("candidate failed: " + e.error());
        } else {
            f = Fitness.score(p.config().tasks(), e.metrics());
        }
        scored.put(path, f);
        return f;
    }
}
