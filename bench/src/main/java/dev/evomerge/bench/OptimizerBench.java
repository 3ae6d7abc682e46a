package dev.evomerge.bench;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.evolve.llm.ChatClient;
import dev.evomerge.evolve.llm.ChatClients;
import dev.evomerge.evolve.llm.ChatException;
import dev.evomerge.engine.chat.ChatMessage;
import dev.evomerge.evolve.llm.LlmEvolutionStrategy;
import dev.evomerge.evolve.optimizer.CmaEs;
import dev.evomerge.evolve.optimizer.Optimizer;
import dev.evomerge.evolve.optimizer.Population;
import dev.evomerge.evolve.optimizer.RandomSearch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;

/**
 * Evaluations each optimizer needs to reach 95 % of the optimum on shifted test functions in [0, 1]^N
 * ({@link ShiftedFunction}, N = 8 and 32): the optimizers maximise s = 1 / (1 + f) and a run succeeds at the first
 * evaluation with s >= 0.95 (f <= 1/19). Median over seeds, a run that spends the budget counts as not reached.
 * random and cmaes always run; llm only when an LLM is configured and answers a probe.
 *
 * <p>Usage: {@code OptimizerBench [--budget 20000] [--seeds 5] [--llm-base-url URL] [--llm-model gpt-4o]
 * [--api-key KEY] [--llm-generations 30] [--runs]}; the key may come from OPENAI_API_KEY; {@code --llm-model local:DIR}
 * runs a local instruct model; {@code --runs} also lists every seed's result.
 */
public final class OptimizerBench {

    /** What one optimizer run achieved: the 1-based evaluation that reached the target (0 if never), best f. */
    record Run(long evaluationsToTarget, long evaluations, double bestF) {
        boolean reached() {
            return evaluationsToTarget > 0;
        }
    }

    /** The runs of one optimizer on one (function, N) over all seeds. */
    record Cell(String optimizer, ShiftedFunction function, int n, List<Run> runs) {

        /** Median evaluations to the target, with unreached runs ranked last; empty if the median run missed. */
        java.util.OptionalLong median() {
            long[] e = runs.stream().mapToLong(r -> r.reached() ? r.evaluationsToTarget() : Long.MAX_VALUE)
                    .sorted().toArray();
            long m = e[(e.length - 1) / 2];
            return m == Long.MAX_VALUE ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(m);
        }

        long hits() {
            return runs.stream().filter(Run::reached).count();
        }

        double medianBestF() {
            double[] f = runs.stream().mapToDouble(Run::bestF).sorted().toArray();
            return f[(f.length - 1) / 2];
        }
    }

    private OptimizerBench() {
    }

    public static void main(String[] args) {
        long budget = 20_000;
        int seeds = 5;
        String baseUrl = null;
        String llmModel = "gpt-4o";
        String apiKey = null;
        int llmGenerations = 30;
        boolean perRun = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--budget" -> budget = Long.parseLong(args[++i]);
                case "--seeds" -> seeds = Integer.parseInt(args[++i]);
                case "--llm-base-url" -> baseUrl = args[++i];
                case "--llm-model" -> llmModel = args[++i];
                case "--api-key" -> apiKey = args[++i];
                case "--llm-generations" -> llmGenerations = Integer.parseInt(args[++i]);
                case "--runs" -> perRun = true;
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        long t0 = System.nanoTime();
        System.out.printf(Locale.ROOT, "Optimizers on shifted test functions in [0,1]^N: evaluations until"
                + " s = 1/(1+f) >= %.2f (f <= 1/19), median of %d seeds, budget %d evaluations%n",
                ShiftedProblem.TARGET_SCORE, seeds, budget);

        ChatClient llm = null;
        String llmNote;
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
                llmNote = "llm: " + llm.description() + ", at most " + llmGenerations + " generations";
            } catch (EvomergeException | ChatException e) {
                llmNote = "llm: not measured: the LLM did not answer a probe: " + e.getMessage();
                llm = null;
            }
        }
        System.out.println(llmNote);

        List<Cell> cells = new ArrayList<>();
        java.util.concurrent.atomic.AtomicLong llmCalls = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong llmFallbacks = new java.util.concurrent.atomic.AtomicLong();
        for (int n : new int[] {8, 32}) {
            int lambda = Population.defaultSize(n);
            for (ShiftedFunction fn : ShiftedFunction.values()) {
                cells.add(cell("random", fn, n, seeds, budget, s -> new RandomSearch(n, lambda, s)));
                cells.add(cell("cmaes", fn, n, seeds, budget, s -> {
                    double[] x0 = new double[n];
                    Arrays.fill(x0, 0.5);
                    return CmaEs.start(x0, 1.0 / 6, lambda, s);
                }));
                if (llm != null) {
                    ChatClient client = llm;
                    long llmBudget = Math.min(budget, (long) lambda * (llmGenerations + 1));
                    cells.add(cell("llm", fn, n, seeds, llmBudget, s -> new LlmEvolutionStrategy(
                            new LlmEvolutionStrategy.Settings(new int[] {1, 1, 1, n}, lambda, s, 0.05, 0.2, 4, 3, 16,
                                    false), client, ex -> {
                                if (ex.fallback()) {
                                    llmFallbacks.incrementAndGet();
                                } else {
                                    llmCalls.incrementAndGet();
                                }
                            })));
                }
            }
        }
        printTable(cells, seeds);
        if (llm != null) {
            System.out.printf(Locale.ROOT, "llm: %d calls; %d generations fell back to the best genome (no usable"
                    + " reply within the attempts)%n", llmCalls.get(), llmFallbacks.get());
        }
        if (perRun) {
            printRuns(cells);
        }
        System.out.printf(Locale.ROOT, "total %.1f s%n", (System.nanoTime() - t0) / 1e9);
        if (llm instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception ignored) {
                // the process ends anyway
            }
        }
    }

    private static Cell cell(String name, ShiftedFunction fn, int n, int seeds, long budget,
                             IntFunction<Optimizer> make) {
        List<Run> runs = new ArrayList<>();
        for (int s = 1; s <= seeds; s++) {
            runs.add(run(make.apply(s), ShiftedProblem.draw(fn, n, s), budget));
        }
        return new Cell(name, fn, n, runs);
    }

    /** Ask/tell until a candidate reaches the target or the budget is spent; evaluations count one by one. */
    static Run run(Optimizer opt, ShiftedProblem problem, long budget) {
        long evals = 0;
        double bestF = Double.POSITIVE_INFINITY;
        while (evals < budget) {
            List<double[]> pop = opt.ask();
            double[] fitness = new double[pop.size()];
            for (int k = 0; k < pop.size(); k++) {
                double f = problem.f(pop.get(k));
                fitness[k] = 1 / (1 + f);
                bestF = Math.min(bestF, f);
                evals++;
                if (ShiftedProblem.reached(fitness[k])) {
                    return new Run(evals, evals, bestF);
                }
                if (evals >= budget) {
                    return new Run(0, evals, bestF);
                }
            }
            opt.tell(pop, fitness);
        }
        return new Run(0, evals, bestF);
    }

    private static void printRuns(List<Cell> cells) {
        System.out.println();
        System.out.println("per seed (evaluations to target or '-', best f):");
        for (Cell c : cells) {
            StringBuilder sb = new StringBuilder();
            for (Run r : c.runs()) {
                sb.append(String.format(Locale.ROOT, "  [%s, %.4g]", r.reached() ? r.evaluationsToTarget() : "-",
                        r.bestF()));
            }
            System.out.printf(Locale.ROOT, "  %s N=%d %s:%s%n", c.function().label(), c.n(), c.optimizer(), sb);
        }
    }

    private static void printTable(List<Cell> cells, int seeds) {
        System.out.println();
        System.out.println("| function | N | optimizer | median evaluations | reached | median best f at stop |");
        System.out.println("|---|---|---|---|---|---|");
        for (Cell c : cells) {
            System.out.printf(Locale.ROOT, "| %s | %d | %s | %s | %d/%d | %.3g |%n", c.function().label(), c.n(),
                    c.optimizer(), c.median().isPresent() ? Long.toString(c.median().getAsLong()) : "not reached",
                    c.hits(), seeds, c.medianBestF());
        }
        System.out.println();
        System.out.println("ratios to cmaes (median evaluations, where both reached):");
        for (Cell r : cells) {
            if (r.optimizer().equals("cmaes")) {
                continue;
            }
            for (Cell c : cells) {
                if (c.optimizer().equals("cmaes") && c.function() == r.function() && c.n() == r.n()) {
                    String ratio = r.median().isPresent() && c.median().isPresent()
                            ? String.format(Locale.ROOT, "%.1fx", (double) r.median().getAsLong() / c.median().getAsLong())
                            : "n/a (" + (r.median().isPresent() ? "cmaes" : r.optimizer()) + " not reached)";
                    System.out.printf(Locale.ROOT, "  %s / cmaes, %s N=%d: %s%n", r.optimizer(), r.function().label(),
                            r.n(), ratio);
                }
            }
        }
    }
}
