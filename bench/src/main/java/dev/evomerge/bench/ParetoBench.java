package dev.evomerge.bench;

import dev.evomerge.evolve.CandidateEvaluationOptions;
import dev.evomerge.evolve.EvolutionLauncher;
import dev.evomerge.evolve.EvolveOptions;
import dev.evomerge.evolve.LlmOptions;
import dev.evomerge.evolve.OptimizerKind;
import dev.evomerge.evolve.SearchOptions;
import dev.evomerge.evolve.demo.HiddenRecipe;
import dev.evomerge.evolve.demo.TwoRecipeProblem;
import dev.evomerge.evolve.demo.WideTwoRecipeProblem;
import dev.evomerge.evolve.genome.TaskSpec;
import dev.evomerge.evolve.local.EvaluationBackend;
import dev.evomerge.evolve.local.LocalEvaluator;
import dev.evomerge.evolve.optimizer.CmaEs;
import dev.evomerge.evolve.optimizer.Optimizer;
import dev.evomerge.evolve.pareto.Hypervolume;
import dev.evomerge.evolve.pareto.MultiObjectiveOptimizer;
import dev.evomerge.evolve.pareto.Nsga2;
import dev.evomerge.evolve.pareto.ParetoFront;
import dev.evomerge.evolve.pareto.PolynomialMutation;
import dev.evomerge.evolve.pareto.RandomParetoSearch;
import dev.evomerge.evolve.pareto.SimulatedBinaryCrossover;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.CandidateEvaluator;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.MetricKey;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.LongFunction;

/**
 * Multi-objective search on {@link TwoRecipeProblem} (two tasks labelled by two different hidden recipes, so their
 * accuracies conflict): at an equal number of evaluations per seed, the hypervolume of every candidate's (accuracy on
 * task A, accuracy on task B) that NSGA-II, random search and CMA-ES on three fixed weightings found. CMA-ES runs
 * single-objective three times (weights 0.75/0.25, 0.5/0.5, 0.25/0.75 on the two accuracies), each with a third of the
 * budget; its candidates are pooled. Every method's hypervolume is that of the non-dominated set of all candidates it
 * evaluated, from one reference point shared by every method.
 * The two hidden recipes are scored too (each scores 1 on the task it labels): the ends of the true front, printed and
 * added to the best-known front as a second measure of the headroom.
 *
 * Every table is printed for three reference points: (0, 0) (accuracies are in [0, 1], so no point falls outside),
 * chance (1/4 on both four-choice tasks) and the true front's nadir (each task's accuracy at the other task's hidden
 * recipe); points not better than the reference in both objectives add nothing.
 *
 * <p>Usage: {@code ParetoBench [--seeds 5] [--first-seed 1] [--budget 120] [--population N] [--rows 48]
 * [--problem-seed 1] [--granularity G] [--wide-layers L [--fine-tunes 3]] [--mutation-probability P]
 * [--mutation-eta 20] [--threads N] [--work DIR] [--points FILE] [--fine-tune-scale 0.15]
 * [--methods nsga2,random,cmaes]}; {@code --wide-layers} runs {@link WideTwoRecipeProblem} (L layers,
 * one gene per layer and fine-tune) instead of {@link TwoRecipeProblem}; the mutation options
 * replace NSGA-II's default polynomial mutation (probability 1/genes, index 20); {@code --granularity} searches the genome in layer groups of G layers
 * (the hidden recipes use 2; 1 doubles the genes). One problem serves every seed (only the optimizers' seeds vary). No LLM strategy is
 * measured: it needs a reachable LLM.
 */
public final class ParetoBench {

    static final double[] REFERENCE = {0, 0};
    /** Chance accuracy of both tasks' four-choice questions. */
    static final double[] CHANCE = {0.25, 0.25};
    /** Where {@code --points FILE} appends every evaluated vector as "method,seed,a,b"; null when not asked. */
    private static Path pointsFile;
    static final double[][] WEIGHTINGS = {{0.75, 0.25}, {0.5, 0.5}, {0.25, 0.75}};

    /**
     * One method's run on one seed: its hypervolume, the number of distinct objective vectors on its front (accuracies
     * take few values, so many candidates share a vector), evaluations spent, and every vector it evaluated.
     */
    record Run(double hypervolume, int frontSize, int evaluations, double seconds, List<double[]> points) {
    }

    private ParetoBench() {
    }

    public static void main(String[] args) throws IOException {
        int seeds = 5;
        int budget = 120;
        Integer population = null;
        int rows = 48;
        long problemSeed = 1;
        int threads = Runtime.getRuntime().availableProcessors();
        Path work = null;
        Integer granularity = null;
        Double mutationProbability = null;
        double mutationEta = 20;
        Integer layers = null;
        int fineTunes = 3;
        long firstSeed = 1;
        double fineTuneScale = HiddenRecipe.DEFAULT_SCALE;
        // which methods run (tuning runs skip CMA-ES); the tables print only those
        java.util.Set<String> methods = new java.util.LinkedHashSet<>(List.of("nsga2", "random", "cmaes"));
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seeds" -> seeds = Integer.parseInt(args[++i]);
                case "--budget" -> budget = Integer.parseInt(args[++i]);
                case "--population" -> population = Integer.parseInt(args[++i]);
                case "--rows" -> rows = Integer.parseInt(args[++i]);
                case "--problem-seed" -> problemSeed = Long.parseLong(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--work" -> work = Path.of(args[++i]);
                case "--granularity" -> granularity = Integer.parseInt(args[++i]);
                case "--mutation-probability" -> mutationProbability = Double.parseDouble(args[++i]);
                case "--mutation-eta" -> mutationEta = Double.parseDouble(args[++i]);
                case "--wide-layers" -> layers = Integer.parseInt(args[++i]);
                case "--fine-tunes" -> fineTunes = Integer.parseInt(args[++i]);
                case "--first-seed" -> firstSeed = Long.parseLong(args[++i]);
                case "--points" -> pointsFile = Path.of(args[++i]);
                case "--fine-tune-scale" -> fineTuneScale = Double.parseDouble(args[++i]);
                case "--methods" -> methods = new java.util.LinkedHashSet<>(List.of(args[++i].split(",")));
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        long t0 = System.nanoTime();
        Path dir = work != null ? work : Files.createTempDirectory("evomerge-pareto-bench-");
        Path genomeFile;
        List<Path> taskDirs;
        List<Candidate> hidden = new ArrayList<>();
        String problemName;
        if (layers == null) {
            TwoRecipeProblem.Setup setup = TwoRecipeProblem.prepare(dir.resolve("problem"), problemSeed, rows, threads);
            genomeFile = setup.genomeFile();
            taskDirs = setup.taskDirs();
            if (granularity != null) {
                // the same models and tasks, searched in finer layer groups: more genes than the hidden recipes have
                genomeFile = dir.resolve("genome-granularity-" + granularity + ".yml");
                Files.writeString(genomeFile, Files.readString(setup.genomeFile())
                        .replace("layer_granularity: 2", "layer_granularity: " + granularity));
            }
            // The two hidden recipes (4 genes at the problem's own granularity 2) label the tasks, so each scores 1 on
            // its own task: they are the ends of the true front, whatever genome is searched.
            double[][] targets = {HiddenRecipe.TARGET_GENES, TwoRecipeProblem.SECOND_TARGET_GENES};
            for (int k = 0; k < targets.length; k++) {
                hidden.add(new Candidate(0, k, targets[k], setup.first().genome().decode(targets[k])));
            }
            problemName = "two-recipe problem";
        } else {
            WideTwoRecipeProblem.Setup setup = WideTwoRecipeProblem.prepare(dir.resolve("problem"), problemSeed,
                    new WideTwoRecipeProblem.Shape(layers, fineTunes, rows, fineTuneScale), threads);
            genomeFile = setup.genomeFile();
            taskDirs = setup.taskDirs();
            double[][] targets = {setup.firstRecipeGenes(), setup.secondRecipeGenes()};
            for (int k = 0; k < targets.length; k++) {
                hidden.add(new Candidate(0, k, targets[k], setup.genome().decode(targets[k])));
            }
            problemName = "wide two-recipe problem (" + layers + " layers, " + fineTunes + " fine-tunes, fine-tune scale "
                    + fineTuneScale + ")";
        }
        EvolveOptions options = new EvolveOptions(genomeFile, dir.resolve("run"), false,
                SearchOptions.of(OptimizerKind.CMAES, 0, problemSeed), LlmOptions.of("gpt-4o", null, null),
                new CandidateEvaluationOptions(LocalEvaluator.Strategy.SERIAL, true, 1, EvaluationBackend.EMBEDDED, null,
                        taskDirs, null, 32, threads, null), false, false, false);
        EvolutionLauncher launcher = new EvolutionLauncher(options, w -> { });
        EvolutionLauncher.Prepared p = launcher.prepare();
        List<MetricKey> keys = p.config().tasks().stream().map(MetricKey::of).toList();
        int n = p.genome().layout().size();
        int pop = population != null ? population : Nsga2.defaultPopulationSize(n);
        System.out.printf(Locale.ROOT, "%s: problem seed %d, %d questions per task, %d genes, %d threads,"
                + " budget %d evaluations per method and seed, NSGA-II/random population %d, CMA-ES population %d x 3 weightings"
                + " of %d evaluations each, seeds %d-%d, in %s%n", problemName, problemSeed, rows, n, threads, budget,
                pop, p.populationSize(), budget / 3, firstSeed, firstSeed + seeds - 1, dir);
        System.out.println("llm: not measured: no LLM is reachable here");
        PolynomialMutation mutation = mutationProbability == null ? PolynomialMutation.defaults(n)
                : new PolynomialMutation(mutationProbability, mutationEta);
        System.out.printf(Locale.ROOT, "NSGA-II: %s, %s%n", SimulatedBinaryCrossover.defaults(), mutation);
        List<List<Run>> table = new ArrayList<>();
        String[] names = {"nsga2", "random", "cmaes x3 weightings"};
        double[][] recipes = new double[2][];
        try (CandidateEvaluator evaluator = launcher.localEvaluator(p)) {
            Objectives two = new Objectives(evaluator, p, keys);
            evaluator.evaluate(hidden, e -> recipes[e.candidate().index()] = two.vector(e));
            System.out.printf(Locale.ROOT, "hidden recipes: first (%.4f, %.4f), second (%.4f, %.4f)%n", recipes[0][0],
                    recipes[0][1], recipes[1][0], recipes[1][1]);
            for (int m = 0; m < names.length; m++) {
                table.add(new ArrayList<>());
            }
            for (long s = firstSeed; s < firstSeed + seeds; s++) {
                long seed = s;
                int popSize = pop;
                if (methods.contains("nsga2")) {
                    table.get(0).add(report(names[0], s, recipes, multi(() -> new Nsga2(new Nsga2.State(n, 2, popSize,
                            seed, 0, SimulatedBinaryCrossover.defaults(), mutation, new double[0][], new double[0][])), two,
                            budget)));
                }
                if (methods.contains("random")) {
                    table.get(1).add(report(names[1], s, recipes, multi(() -> new RandomParetoSearch(n, 2, popSize, seed),
                            two, budget)));
                }
                if (methods.contains("cmaes")) {
                    table.get(2).add(report(names[2], s, recipes, weighted(w -> CmaEs.start(p.genome().initialGenes(),
                            CmaEs.DEFAULT_SIGMA0, p.populationSize(), seed * 31 + w), two, budget)));
                }
            }
        }
        // The true front's nadir: each task's accuracy at the other task's hidden recipe (the worst either end of the
        // true front scores); the usual reference point of a hypervolume when the true front is known.
        double[] nadir = {recipes[1][0], recipes[0][1]};
        String[] referenceNames = {"(0, 0)", String.format(Locale.ROOT, "chance (%.2f, %.2f)", CHANCE[0], CHANCE[1]),
                String.format(Locale.ROOT, "nadir of the true front (%.4f, %.4f)", nadir[0], nadir[1])};
        double[][] references = {REFERENCE, CHANCE, nadir};
        for (int r = 0; r < references.length; r++) {
            printTable(referenceNames[r], references[r], names, table, firstSeed, recipes);
        }
        System.out.printf(Locale.ROOT, "total %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }

    /** Evaluates candidates into (accuracy A, accuracy B); a failed candidate scores negative infinity on both. */
    record Objectives(CandidateEvaluator evaluator, EvolutionLauncher.Prepared p, List<MetricKey> keys) {
        double[][] score(int generation, List<double[]> pop) {
            List<Candidate> cs = new ArrayList<>();
            for (int k = 0; k < pop.size(); k++) {
                cs.add(new Candidate(generation, k, pop.get(k), p.genome().decode(pop.get(k))));
            }
            double[][] out = new double[pop.size()][];
            evaluator.evaluate(cs, e -> out[e.candidate().index()] = vector(e));
            return out;
        }

        double[] vector(Evaluation e) {
            double[] v = new double[keys.size()];
            for (int i = 0; i < v.length; i++) {
                Double x = e.error() == null ? e.metrics().get(keys.get(i)) : null;
                v[i] = x == null ? Double.NEGATIVE_INFINITY : x;
            }
            return v;
        }
    }

    /**
     * One table per reference point: every method's hypervolume per seed, its median, the ratios, and the medians'
     * shares of the best-known front (all methods and seeds pooled), without and with the two hidden recipes added.
     */
    private static void printTable(String referenceName, double[] reference, String[] names, List<List<Run>> table,
                                   long firstSeed, double[][] recipes) {
        System.out.println();
        System.out.println("reference point " + referenceName + ":");
        StringBuilder head = new StringBuilder("| method |");
        StringBuilder rule = new StringBuilder("|---|");
        int seedCount = table.stream().mapToInt(List::size).max().orElse(0);
        for (int s = 0; s < seedCount; s++) {
            head.append(" seed ").append(firstSeed + s).append(" |");
            rule.append("---|");
        }
        System.out.println(head + " median HV | median front size |");
        System.out.println(rule + "---|---|");
        double[] medians = new double[names.length];
        for (int m = 0; m < names.length; m++) {
            if (table.get(m).isEmpty()) {
                medians[m] = Double.NaN; // not run (--methods): its ratio prints NaN
                continue;
            }
            StringBuilder row = new StringBuilder("| " + names[m] + " |");
            double[] hv = table.get(m).stream().mapToDouble(r -> Hypervolume.of(r.points().toArray(double[][]::new),
                    reference)).toArray();
            for (double h : hv) {
                row.append(String.format(Locale.ROOT, " %.4f |", h));
            }
            medians[m] = median(hv);
            double fronts = median(table.get(m).stream().mapToDouble(Run::frontSize).toArray());
            System.out.println(row + String.format(Locale.ROOT, " %.4f | %.0f |", medians[m], fronts));
        }
        System.out.printf(Locale.ROOT, "median HV ratio NSGA-II / random: %.3fx; NSGA-II / CMA-ES x3: %.3fx%n",
                medians[0] / medians[1], medians[0] / medians[2]);
        // Headroom: the front of every vector any method found on any seed is the best known; a method's median as a
        // share of it says how much any optimizer could still gain on this problem.
        List<double[]> everything = new ArrayList<>();
        table.forEach(runs -> runs.forEach(r -> everything.addAll(r.points())));
        double best = Hypervolume.of(everything.toArray(double[][]::new), reference);
        System.out.printf(Locale.ROOT, "best-known HV (all methods and seeds pooled) %.4f; median share of it: NSGA-II %.1f%%,"
                + " random %.1f%%, CMA-ES x3 %.1f%%; random reaching 1/1.2 = 83.3%% of it leaves no room for a 1.2x ratio%n",
                best, 100 * medians[0] / best, 100 * medians[1] / best, 100 * medians[2] / best);
        everything.addAll(Arrays.asList(recipes));
        double withRecipes = Hypervolume.of(everything.toArray(double[][]::new), reference);
        System.out.printf(Locale.ROOT, "best-known HV with the two hidden recipes added %.4f; median share of it: NSGA-II"
                + " %.1f%%, random %.1f%%, CMA-ES x3 %.1f%%%n", withRecipes, 100 * medians[0] / withRecipes,
                100 * medians[1] / withRecipes, 100 * medians[2] / withRecipes);
    }

    private static Run report(String name, long seed, double[][] recipes, Run r) {
        double[] nadir = {recipes[1][0], recipes[0][1]};
        double[][] points = r.points().toArray(double[][]::new);
        System.out.printf(Locale.ROOT, "  %s seed %d: HV %.4f, from chance %.4f, from the nadir %.4f, front of %d, %d"
                + " evaluations, %.1f s%n", name, seed, r.hypervolume(), Hypervolume.of(points, CHANCE),
                Hypervolume.of(points, nadir), r.frontSize(), r.evaluations(), r.seconds());
        if (pointsFile != null) {
            // every evaluated vector, so runs split over several processes (one per seed) can be pooled afterwards
            StringBuilder sb = new StringBuilder();
            for (double[] v : points) {
                sb.append(String.format(Locale.ROOT, "%s,%d,%s,%s%n", name, seed, v[0], v[1]));
            }
            try {
                Files.writeString(pointsFile, sb, java.nio.file.StandardOpenOption.CREATE,
                        java.nio.file.StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return r;
    }

    /** A multi-objective optimizer until the budget is spent (the last generation cut to fit it). */
    static Run multi(java.util.function.Supplier<MultiObjectiveOptimizer> make, Objectives two, int budget) {
        long t0 = System.nanoTime();
        MultiObjectiveOptimizer opt = make.get();
        List<double[]> all = new ArrayList<>();
        for (int generation = 0; all.size() < budget; generation++) {
            List<double[]> pop = opt.ask();
            if (pop.size() > budget - all.size()) {
                pop = pop.subList(0, budget - all.size());
                all.addAll(Arrays.asList(two.score(generation, pop)));
                break;
            }
            double[][] v = two.score(generation, pop);
            all.addAll(Arrays.asList(v));
            opt.tell(pop, v);
        }
        return result(all, t0);
    }

    /** CMA-ES on each weighting for a third of the budget; every candidate of the three runs pooled. */
    static Run weighted(LongFunction<Optimizer> make, Objectives two, int budget) {
        long t0 = System.nanoTime();
        List<double[]> all = new ArrayList<>();
        for (int w = 0; w < WEIGHTINGS.length; w++) {
            double[] weights = WEIGHTINGS[w];
            int share = budget / WEIGHTINGS.length + (w < budget % WEIGHTINGS.length ? 1 : 0);
            Optimizer opt = make.apply(w);
            int spent = 0;
            for (int generation = 0; spent < share; generation++) {
                List<double[]> pop = opt.ask();
                boolean last = pop.size() >= share - spent;
                if (pop.size() > share - spent) {
                    pop = pop.subList(0, share - spent);
                }
                double[][] v = two.score(generation, pop);
                all.addAll(Arrays.asList(v));
                spent += pop.size();
                if (last) {
                    break;
                }
                double[] fitness = new double[v.length];
                for (int k = 0; k < v.length; k++) {
                    fitness[k] = ParetoFront.isFailed(v[k]) ? Double.NEGATIVE_INFINITY
                            : weights[0] * v[k][0] + weights[1] * v[k][1];
                }
                opt.tell(pop, fitness);
            }
        }
        return result(all, t0);
    }

    private static Run result(List<double[]> all, long t0) {
        double[][] points = all.toArray(double[][]::new);
        java.util.Set<List<Double>> distinct = new java.util.HashSet<>();
        for (int i : ParetoFront.nonDominated(points)) {
            distinct.add(Arrays.stream(points[i]).boxed().toList());
        }
        return new Run(Hypervolume.of(points, REFERENCE), distinct.size(), points.length, (System.nanoTime() - t0) / 1e9,
                List.copyOf(all));
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
