package dev.evomerge.cli;

import dev.evomerge.evolve.CandidateEvaluationOptions;
import dev.evomerge.evolve.EvolutionLauncher;
import dev.evomerge.evolve.EvolutionRun;
import dev.evomerge.evolve.EvolveOptions;
import dev.evomerge.evolve.OptimizerKind;
import dev.evomerge.evolve.SearchOptions;
import dev.evomerge.evolve.demo.HiddenRecipe;
import dev.evomerge.evolve.llm.LlmExchange;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.CandidateEvaluator;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.EvolutionListener;
import dev.evomerge.evolve.run.GenerationStats;
import dev.evomerge.evolve.run.Fitness;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code evomerge demo}: the whole loop offline on synthetic models. A hidden recipe merges two fine-tunes into a
 * target model that labels a multiple-choice task; the evolution must find a recipe that scores as well as the target.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run the whole evolutionary merge offline on synthetic models and a hidden target recipe.")
final class DemoCommand extends CliCommand implements Callable<Integer> {

    /** Evaluation batch size: the demo's task is small, and a larger batch scores it faster. */
    private static final int BATCH_SIZE = 32;

    @Option(names = "--work-dir", description = "Folder for the models, task and run (default: a new temporary folder).")
    Path workDir;
    @Option(names = "--optimizer", description = "llm, cmaes or random (default: llm when an LLM is configured, else cmaes).")
    OptimizerKind optimizer;
    @Mixin
    LlmCliOptions llm;
    @Option(names = "--max-generation", defaultValue = "16", description = "Generations after the first (default: ${DEFAULT-VALUE}).")
    int maxGeneration;
    @Option(names = "--rows", defaultValue = "96", description = "Questions in the task (default: ${DEFAULT-VALUE}).")
    int rows;
    @Option(names = "--random-seed", defaultValue = "1", description = "Seed of models, task and search (default: ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--finetune-scale", defaultValue = "0.15", description = "Size of the fine-tunes' changes (default: ${DEFAULT-VALUE}).")
    double scale;
    @Mixin
    RunProgressOptions progress;
    @Mixin
    FitnessCliOptions fitness;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = out();
        long t0 = System.nanoTime();
        Path dir = workDir != null ? workDir : Files.createTempDirectory("evomerge-demo-");
        int threads = Runtime.getRuntime().availableProcessors();
        out.println("evomerge demo in " + dir);
        out.println("1. synthesizing a base model, two fine-tunes, a hidden target recipe and a task labelled by the target...");
        out.flush();
        HiddenRecipe.Setup setup = HiddenRecipe.prepare(dir, seed, rows, threads, scale);

        boolean llmConfigured = llm.configured();
        OptimizerKind opt = optimizer != null ? optimizer : llmConfigured ? OptimizerKind.LLM : OptimizerKind.CMAES;
        if (optimizer == null && !llmConfigured) {
            out.println("   no LLM configured, so the search uses CMA-ES; to use the LLM strategy set OPENAI_API_KEY, "
                    + "or pass --llm-base-url URL or --llm-model local:DIR");
        }
        Path storage = dir.resolve("run");
        // evolve's defaults, but for the generations, the seed and a larger batch (the demo's task is small)
        EvolveOptions o = new EvolveOptions(setup.genomeFile(), storage, false, SearchOptions.of(opt, maxGeneration, seed),
                llm.options(), CandidateEvaluationOptions.inMemory(List.of(setup.taskDir()), BATCH_SIZE, threads), true, false, false,
                fitness.options());
        List<String> warnings = new ArrayList<>();
        EvolutionLauncher launcher = new EvolutionLauncher(o, warnings::add);
        EvolutionLauncher.Prepared p = launcher.prepare();
        CandidateEvaluator evaluator = launcher.localEvaluator(p);
        double targetScore = score(evaluator, p, new Candidate(-1, 0, setup.targetGenes(), setup.targetConfig()));
        out.printf(Locale.ROOT, "2. the hidden recipe scores %.4f on %s (%d questions); searching with %s, population %d, %d generations...%n",
                targetScore, setup.taskName(), rows, opt, p.populationSize(), maxGeneration + 1);
        out.flush();

        List<double[]> curve = new ArrayList<>();
        boolean bars = progress.progressBars();
        LlmTally llm = new LlmTally(null);
        List<String> fitnessNotes = new ArrayList<>();
        EvolutionListener listener = new EvolutionListener() {
            ProgressBar bar;

            @Override
            public void generationStarted(int generation, int candidates, int alreadyEvaluated) {
                bar = new ProgressBar(out, "   generation " + generation, candidates, "candidates", bars);
            }

            @Override
            public void candidateDone(Evaluation e) {
                bar.step(1);
            }

            @Override
            public void llmExchange(LlmExchange x) {
                progress.llmExchange(llm, x, err());
            }

            @Override
            public void fitnessNote(String line) {
                fitnessNotes.add(line);
            }

            @Override
            public void generationDone(GenerationStats s) {
                bar.close();
                curve.add(new double[] {s.generation(), s.best(), s.mean(), s.bestSoFar()});
            }
        };
        EvolutionRun.Result r = launcher.run(p, x -> evaluator, listener);

        out.println();
        out.println("3. fitness by generation (best so far; '|' marks the hidden recipe's score)");
        for (double[] g : curve) {
            out.printf(Locale.ROOT, "   gen %2d %s %.4f  (generation best %.4f, mean %.4f)%n", (int) g[0], bar(g[3], targetScore),
                    g[3], g[1], g[2]);
        }
        out.println();
        out.println("4. hidden recipe (task_arithmetic weights)");
        out.print(indent(RecipeTable.render(setup.genome(), setup.targetGenes())));
        if (r.best() != null) {
            out.println("   recovered recipe");
            out.print(indent(RecipeTable.render(setup.genome(), r.best().candidate().genes())));
            double ratio = targetScore > 0 ? r.best().score() / targetScore : Double.NaN;
            out.printf(Locale.ROOT, "%n   recovered fitness %.4f = %.1f%% of the hidden recipe's %.4f, after %d evaluations in %.0f s%n",
                    r.best().score(), 100 * ratio, targetScore, r.evaluations(), (System.nanoTime() - t0) / 1e9);
        }
        if (o.fitness().estimator() != null) {
            // estimated fitness: how each generation was scored and the tokens it took (also in run/summary.json)
            fitnessNotes.forEach(line -> out.println("   " + line));
        }
        out.println("   run: " + storage + " (see it with: evomerge dashboard --storage-path " + storage + ")");
        warnings.forEach(this::warn);
        out.flush();
        return 0;
    }

    /** The target's score through exactly the path candidates take (same evaluator, same fitness formula). */
    private static double score(CandidateEvaluator evaluator, EvolutionLauncher.Prepared p, Candidate c) {
        Evaluation[] out = new Evaluation[1];
        evaluator.evaluate(List.of(c), e -> out[0] = e);
        if (out[0].error() != null) {
            throw new IllegalStateException("the hidden recipe failed to evaluate: " + out[0].error());
        }
        return Fitness.score(p.config().tasks(), out[0].metrics());
    }

    private static String bar(double value, double target) {
        int width = 40;
        int filled = (int) Math.round(width * Math.max(0, Math.min(1, value / Math.max(target, 1e-9))));
        return "[" + "#".repeat(Math.min(filled, width)) + " ".repeat(Math.max(0, width - filled)) + "|";
    }

    private static String indent(String s) {
        return s.lines().map(l -> "   " + l).reduce("", (a, b) -> a + b + "\n");
    }
}
