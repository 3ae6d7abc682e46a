package dev.evomerge.bench;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.evolve.CandidateEvaluationOptions;
import dev.evomerge.evolve.EvolutionLauncher;
import dev.evomerge.evolve.EvolveOptions;
import dev.evomerge.evolve.LlmOptions;
import dev.evomerge.evolve.OptimizerKind;
import dev.evomerge.evolve.SearchOptions;
import dev.evomerge.evolve.demo.HiddenRecipe;
import dev.evomerge.evolve.genome.TaskSpec;
import dev.evomerge.evolve.llm.ChatClient;
import dev.evomerge.evolve.llm.ChatClients;
import dev.evomerge.evolve.llm.ChatException;
import dev.evomerge.engine.chat.ChatMessage;
import dev.evomerge.evolve.llm.LlmEvolutionStrategy;
import dev.evomerge.evolve.local.EvaluationBackend;
import dev.evomerge.evolve.local.LocalEvaluator;
import dev.evomerge.evolve.optimizer.CmaEs;
import dev.evomerge.evolve.optimizer.Optimizer;
import dev.evomerge.evolve.optimizer.RandomSearch;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.CandidateEvaluator;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.Fitness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;

/**
 * The evolution on the hidden-recipe problem ({@link HiddenRecipe} with the demo's defaults: 96 questions, fine-tune
 * scale 0.15): (a) evaluations until a candidate reaches 95 % of the hidden recipe's fitness, median over optimizer
 * seeds, for random search and CMA-ES (and the LLM strategy when an LLM answers); (b) wall time per candidate of the
 * in-memory and the on-disk (embedded engine) evaluators on the same candidates, interleaved in one run.
 *
 * <p>Usage: {@code EvolveBench [--seeds 5] [--budget 400] [--problem-seed 1] [--threads N] [--cost-candidates 16]
 * [--work DIR] [--llm-base-url URL] [--llm-model gpt-4o] [--api-key KEY] [--runs]}; the key may come from
 * OPENAI_API_KEY. One model setup serves every optimizer seed (only the optimizer's seed varies).
 */
public final class EvolveBench {

    /** Fraction of the hidden recipe's fitness a run must reach. */
    static final double TARGET_FRACTION = 0.95;

    /** One optimizer run: the 1-based evaluation that reached the target (0 if never), evaluations spent, best fitness. */
    record Run(long evaluationsToTarget, long evaluations, double best, double seconds) {
        boolean reached() {
            return evaluationsToTarget > 0;
        }
    }

    /** Every seed's run of one optimizer. */
    record Cell(String optimizer, List<Run> runs) {

        /** Median evaluations to the target with unreached runs ranked last; empty if the median run missed. */
        OptionalLong median() {
            long[] e = runs.stream().mapToLong(r -> r.reached() ? r.evaluationsToTarget() : Long.MAX_VALUE).sorted().toArray();
            long m = e[(e.length - 1) / 2];
            return m == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(m);
        }

        long hits() {
            return runs.stream().filter(Run::reached).count();
        }

        double medianBest() {
            double[] b = runs.stream().mapToDouble(Run::best).sorted().toArray();
            return b[(b.length - 1) / 2];
        }

        double seconds() {
            return runs.stream().mapToDouble(Run::seconds).sum();
        }
    }

    /** Timings of one candidate on one evaluator. */
    record Cost(double wall, double merge, double eval) {
    }

    private EvolveBench() {
    }

    public static void main(String[] args) throws IOException {
        int seeds = 5;
        long budget = 400;
        long problemSeed = 1;
        int threads = Runtime.getRuntime().availableProcessors();
        int costCandidates = 16;
        Path work = null;
        String baseUrl = null;
        String llmModel = "gpt-4o";
        String apiKey = null;
        boolean perRun = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seeds" -> seeds = Integer.parseInt(args[++i]);
                case "--budget" -> budget = Long.parseLong(args[++i]);
                case "--problem-seed" -> problemSeed = Long.parseLong(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--cost-candidates" -> costCandidates = Integer.parseInt(args[++i]);
                case "--work" -> work = Path.of(args[++i]);
                case "--llm-base-url" -> baseUrl = args[++i];
                case "--llm-model" -> llmModel = args[++i];
                case "--api-key" -> apiKey = args[++i];
                case "--runs" -> perRun = true;
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        long t0 = System.nanoTime();
        Path dir = work != null ? work : Files.createTempDirectory("evomerge-evolve-bench-");
        System.out.printf(Locale.ROOT, "hidden-recipe problem: problem seed %d, 96 questions, fine-tune scale %.2f, %d threads, in %s%n",
                problemSeed, HiddenRecipe.DEFAULT_SCALE, threads, dir);
        long ts = System.nanoTime();
        HiddenRecipe.Setup setup = HiddenRecipe.prepare(dir.resolve("problem"), problemSeed, 96, threads);
        System.out.printf(Locale.ROOT, "setup (models, target, task) %.1f s%n", (System.nanoTime() - ts) / 1e9);

        EvolutionLauncher.Prepared mem = prepare(setup, dir.resolve("run-mem"), true, problemSeed, threads);
        List<TaskSpec> tasks = mem.config().tasks();
        int lambda = mem.populationSize();
        int n = mem.genome().layout().size();
        double target;
        Cell[] cells;
        ChatClient llm = null;
        String llmNote;
        try (CandidateEvaluator evaluator = new EvolutionLauncher(options(setup, dir.resolve("run-mem"), true, problemSeed, threads), w -> { })
                .localEvaluator(mem)) {
            target = fitness(evaluate(evaluator, new Candidate(-1, 0, setup.targetGenes(), setup.targetConfig())), tasks);
            double threshold = TARGET_FRACTION * target;
            System.out.printf(Locale.ROOT, "hidden recipe fitness %.4f; target %.4f; %d genes, population %d, budget %d evaluations, %d seeds%n",
                    target, threshold, n, lambda, budget, seeds);

            boolean configured = baseUrl != null || (apiKey != null && !apiKey.isBlank())
                    || llmModel.startsWith(ChatClients.LOCAL_PREFIX)
                    || (System.getenv(ChatClients.API_KEY_ENV) != null && !System.getenv(ChatClients.API_KEY_ENV).isBlank());
            if (!configured) {
                llmNote = "llm: not measured: no LLM is reachable here (no --llm-base-url, --api-key, local: model or "
                        + ChatClients.API_KEY_ENV + ")";
            } else {
                try {
                    llm = ChatClients.create(llmModel, baseUrl, apiKey);
                    llm.complete(List.of(ChatMessage.user("Reply with the JSON object {\"ok\": true}.")));
                    llmNote = "llm: " + llm.description();
                } catch (EvomergeException | ChatException e) {
                    llmNote = "llm: not measured: the LLM did not answer a probe: " + e.getMessage();
                    llm = null;
                }
            }
            System.out.println(llmNote);

            List<Cell> list = new ArrayList<>();
            list.add(cell("random", seeds, s -> new RandomSearch(n, lambda, s), evaluator, mem, threshold, budget));
            list.add(cell("cmaes", seeds, s -> CmaEs.start(mem.genome().initialGenes(), 1.0 / 6, lambda, s), evaluator, mem,
                    threshold, budget));
            AtomicLong fallbacks = new AtomicLong();
            if (llm != null) {
                ChatClient client = llm;
                list.add(cell("llm", seeds, s -> new LlmEvolutionStrategy(new LlmEvolutionStrategy.Settings(
                        mem.genome().layout().dimensions(), lambda, s, 0.05, 0.2, 4, 3, 0, false), client, ex -> {
                            if (ex.fallback()) {
                                fallbacks.incrementAndGet();
                            }
                        }), evaluator, mem, threshold, budget));
            }
            cells = list.toArray(Cell[]::new);
            printTable(cells, seeds, budget);
            if (llm != null) {
                System.out.printf(Locale.ROOT, "llm: %d generations fell back to the best genome%n", fallbacks.get());
            }
            if (perRun) {
                printRuns(cells);
            }
        }
        if (llm instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception ignored) {
                // the process ends anyway
            }
        }

        costPerCandidate(setup, dir, problemSeed, threads, costCandidates, n, lambda);
        System.out.printf(Locale.ROOT, "total %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }

    static EvolveOptions options(HiddenRecipe.Setup setup, Path storage, boolean inMemory, long seed, int threads) {
        return new EvolveOptions(setup.genomeFile(), storage, false, SearchOptions.of(OptimizerKind.CMAES, 0, seed),
                LlmOptions.of("gpt-4o", null, null), new CandidateEvaluationOptions(LocalEvaluator.Strategy.SERIAL, inMemory,
                1, EvaluationBackend.EMBEDDED, null, List.of(setup.taskDir()), null, 32, threads, null), false, false, false);
    }

    static EvolutionLauncher.Prepared prepare(HiddenRecipe.Setup setup, Path storage, boolean inMemory, long seed, int threads) {
        return new EvolutionLauncher(options(setup, storage, inMemory, seed, threads), w -> { }).prepare();
    }

    static Evaluation evaluate(CandidateEvaluator evaluator, Candidate c) {
        Evaluation[] out = new Evaluation[1];
        evaluator.evaluate(List.of(c), e -> out[0] = e);
        return out[0];
    }

    static double fitness(Evaluation e, List<TaskSpec> tasks) {
        if (e.error() != null) {
            throw new IllegalStateException("candidate " + e.candidate().generation() + "/" + e.candidate().index()
                    + " failed: " + e.error());
        }
        return Fitness.score(tasks, e.metrics());
    }

    private static Cell cell(String name, int seeds, LongFunction<Optimizer> make, CandidateEvaluator evaluator,
                             EvolutionLauncher.Prepared p, double threshold, long budget) {
        List<Run> runs = new ArrayList<>();
        for (long s = 1; s <= seeds; s++) {
            runs.add(run(make.apply(s), evaluator, p, threshold, budget));
            Run r = runs.getLast();
            System.out.printf(Locale.ROOT, "  %s seed %d: %s after %d evaluations, best %.4f, %.1f s%n", name, s,
                    r.reached() ? "reached" : "not reached", r.evaluations(), r.best(), r.seconds());
        }
        return new Cell(name, runs);
    }

    /** Ask/tell; candidates are evaluated one by one so a run stops at the very evaluation that reaches the target. */
    static Run run(Optimizer opt, CandidateEvaluator evaluator, EvolutionLauncher.Prepared p, double threshold, long budget) {
        long t0 = System.nanoTime();
        long evals = 0;
        double best = Double.NEGATIVE_INFINITY;
        for (int generation = 0; evals < budget; generation++) {
            List<double[]> pop = opt.ask();
            double[] fitness = new double[pop.size()];
            for (int k = 0; k < pop.size(); k++) {
                double[] genes = pop.get(k);
                Evaluation e = evaluate(evaluator, new Candidate(generation, k, genes, p.genome().decode(genes)));
                fitness[k] = e.error() == null ? Fitness.score(p.config().tasks(), e.metrics()) : Double.NEGATIVE_INFINITY;
                best = Math.max(best, fitness[k]);
                evals++;
                if (fitness[k] >= threshold) {
                    return new Run(evals, evals, best, (System.nanoTime() - t0) / 1e9);
                }
                if (evals >= budget) {
                    return new Run(0, evals, best, (System.nanoTime() - t0) / 1e9);
                }
            }
            opt.tell(pop, fitness);
        }
        return new Run(0, evals, best, (System.nanoTime() - t0) / 1e9);
    }

    /**
     * The same candidates through a fresh in-memory and a fresh on-disk evaluator, alternating candidate by candidate
     * so that load changes on a shared machine hit both alike; each evaluator first evaluates one warm-up candidate
     * (model load, merge planning, JIT) that is not counted.
     */
    private static void costPerCandidate(HiddenRecipe.Setup setup, Path dir, long seed, int threads, int count, int n,
                                         int lambda) {
        EvolutionLauncher.Prepared memP = prepare(setup, dir.resolve("cost-mem"), true, seed, threads);
        EvolutionLauncher.Prepared diskP = prepare(setup, dir.resolve("cost-disk"), false, seed, threads);
        List<double[]> genes = new ArrayList<>();
        RandomSearch rs = new RandomSearch(n, Math.max(count, 1), 99);
        genes.addAll(rs.ask());
        List<Cost> mem = new ArrayList<>();
        List<Cost> disk = new ArrayList<>();
        int mismatches = 0;
        System.out.println();
        System.out.printf(Locale.ROOT, "cost per candidate: %d random candidates (seed 99), serial, %d threads, embedded engine%n",
                count, threads);
        try (CandidateEvaluator m = new EvolutionLauncher(options(setup, dir.resolve("cost-mem"), true, seed, threads), w -> { })
                .localEvaluator(memP);
             CandidateEvaluator d = new EvolutionLauncher(options(setup, dir.resolve("cost-disk"), false, seed, threads), w -> { })
                     .localEvaluator(diskP)) {
            Candidate warm = new Candidate(-1, 0, setup.targetGenes(), setup.targetConfig());
            long w0 = System.nanoTime();
            evaluate(m, warm);
            double memFirst = (System.nanoTime() - w0) / 1e9;
            w0 = System.nanoTime();
            evaluate(d, warm);
            double diskFirst = (System.nanoTime() - w0) / 1e9;
            System.out.printf(Locale.ROOT, "  warm-up candidate (not counted): in-memory %.3f s (includes loading the resident model), on-disk %.3f s%n",
                    memFirst, diskFirst);
            for (int i = 0; i < count; i++) {
                Candidate c = new Candidate(0, i, genes.get(i), memP.genome().decode(genes.get(i)));
                long a = System.nanoTime();
                Evaluation em = evaluate(m, c);
                mem.add(new Cost((System.nanoTime() - a) / 1e9, em.mergeSeconds(), em.evalSeconds()));
                a = System.nanoTime();
                Evaluation ed = evaluate(d, c);
                disk.add(new Cost((System.nanoTime() - a) / 1e9, ed.mergeSeconds(), ed.evalSeconds()));
                if (em.error() != null || ed.error() != null || !em.metrics().equals(ed.metrics())) {
                    mismatches++;
                }
            }
        }
        System.out.println();
        System.out.println("| evaluator | wall per candidate, median (mean) | merge (on-disk: + write), median | score (on-disk: load + score), median |");
        System.out.println("|---|---|---|---|");
        row("in-memory", mem);
        row("on-disk (embedded)", disk);
        System.out.printf(Locale.ROOT, "ratio on-disk / in-memory, median wall per candidate: %.2fx (mean: %.2fx)%n",
                median(disk, Cost::wall) / median(mem, Cost::wall), mean(disk, Cost::wall) / mean(mem, Cost::wall));
        System.out.printf(Locale.ROOT, "metrics identical in-memory vs on-disk: %d of %d candidates%n", count - mismatches, count);
    }

    private static void row(String name, List<Cost> costs) {
        System.out.printf(Locale.ROOT, "| %s | %.3f s (%.3f s) | %.3f s | %.3f s |%n", name, median(costs, Cost::wall),
                mean(costs, Cost::wall), median(costs, Cost::merge), median(costs, Cost::eval));
    }

    private static double median(List<Cost> costs, java.util.function.ToDoubleFunction<Cost> f) {
        double[] v = costs.stream().mapToDouble(f).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static double mean(List<Cost> costs, java.util.function.ToDoubleFunction<Cost> f) {
        return costs.stream().mapToDouble(f).average().orElse(Double.NaN);
    }

    private static void printTable(Cell[] cells, int seeds, long budget) {
        System.out.println();
        System.out.printf(Locale.ROOT, "| optimizer | median evaluations to %.0f%% of the target | reached (budget %d) | median best fitness at stop | time |%n",
                100 * TARGET_FRACTION, budget);
        System.out.println("|---|---|---|---|---|");
        for (Cell c : cells) {
            System.out.printf(Locale.ROOT, "| %s | %s | %d/%d | %.4f | %.0f s |%n", c.optimizer(),
                    c.median().isPresent() ? Long.toString(c.median().getAsLong()) : "not reached", c.hits(), seeds,
                    c.medianBest(), c.seconds());
        }
        Cell cmaes = Arrays.stream(cells).filter(c -> c.optimizer().equals("cmaes")).findFirst().orElseThrow();
        for (Cell c : cells) {
            if (c != cmaes) {
                System.out.printf(Locale.ROOT, "ratio %s / cmaes (median evaluations): %s%n", c.optimizer(),
                        c.median().isPresent() && cmaes.median().isPresent()
                                ? String.format(Locale.ROOT, "%.1fx", (double) c.median().getAsLong() / cmaes.median().getAsLong())
                                : "n/a (" + (c.median().isPresent() ? "cmaes" : c.optimizer()) + " not reached)");
            }
        }
    }

    private static void printRuns(Cell[] cells) {
        System.out.println();
        System.out.println("per seed (evaluations to target or '-', best fitness):");
        for (Cell c : cells) {
            StringBuilder sb = new StringBuilder();
            for (Run r : c.runs()) {
                sb.append(String.format(Locale.ROOT, "  [%s, %.4f]", r.reached() ? r.evaluationsToTarget() : "-", r.best()));
            }
            System.out.printf(Locale.ROOT, "  %s:%s%n", c.optimizer(), sb);
        }
    }
}
