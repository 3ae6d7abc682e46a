package dev.evomerge.cli;

import dev.evomerge.evolve.CandidateEvaluationOptions;
import dev.evomerge.evolve.EvolutionLauncher;
import dev.evomerge.evolve.EvolutionRun;
import dev.evomerge.evolve.EvolveOptions;
import dev.evomerge.evolve.OptimizerKind;
import dev.evomerge.evolve.SearchOptions;
import dev.evomerge.evolve.dataflow.DataFlowGenome;
import dev.evomerge.evolve.dataflow.LayerPath;
import dev.evomerge.evolve.dataflow.PathStep;
import dev.evomerge.evolve.dataflow.SearchSpace;
import dev.evomerge.evolve.demo.HiddenPath;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.CandidateEvaluator;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code evomerge demo --space dfs}: the data-flow demo. A hidden path through two synthetic models' layers (one layer
 * repeated, one skipped, one borrowed from the second model, one input scaled) labels a multiple-choice task; the
 * search must find a path that scores as well, evaluating every candidate in memory on the resident models.
 */
final class DataFlowDemo {

    /** Generations after the first when --max-generation is not given. */
    static final int GENERATIONS = 24;

    private final DemoCommand d;

    DataFlowDemo(DemoCommand demo) {
        this.d = demo;
    }

    int run() throws Exception {
        PrintWriter out = d.out();
        long t0 = System.nanoTime();
        Path dir = d.workDir != null ? d.workDir : Files.createTempDirectory("evomerge-demo-dfs-");
        int threads = Runtime.getRuntime().availableProcessors();
        out.println("evomerge demo --space dfs in " + dir);
        out.println("1. synthesizing two models, a hidden path through their layers and a task labelled by that path...");
        out.flush();
        HiddenPath.Setup setup = HiddenPath.prepare(dir, d.seed, d.rows, threads);

        boolean llmConfigured = d.llm.configured();
        OptimizerKind opt = d.optimizer != null ? d.optimizer : llmConfigured ? OptimizerKind.LLM : OptimizerKind.CMAES;
        if (d.optimizer == null && !llmConfigured) {
            out.println("   no LLM configured, so the search uses CMA-ES; to use the LLM strategy set OPENAI_API_KEY, "
                    + "or pass --llm-base-url URL or --llm-model local:DIR");
        }
        Path storage = dir.resolve("run");
        // the path search needs more generations than the recipe demo's 16 (measured: docs/benchmarks.md, "Data-flow")
        int generations = d.spec.commandLine().getParseResult().hasMatchedOption("--max-generation") ? d.maxGeneration
                : GENERATIONS;
        SearchOptions search = new SearchOptions(opt, generations, null, d.seed, d.populationSize, false, null);
        EvolveOptions o = new EvolveOptions(setup.genomeFile(), storage, false, search, d.llm.options(),
                CandidateEvaluationOptions.inMemory(List.of(setup.taskDir()), 32, threads), true, false, false);
        List<String> warnings = new ArrayList<>();
        EvolutionLauncher launcher = new EvolutionLauncher(o, warnings::add).space(SearchSpace.DFS);
        EvolutionLauncher.Prepared p = launcher.prepare();
        DataFlowGenome genome = launcher.dataFlow().genome();
        CandidateEvaluator evaluator = launcher.localEvaluator(p);
        double targetScore = DemoCommand.score(evaluator, p, new Candidate(-1, 0, setup.targetGenes(),
                launcher.dataFlow().export(setup.targetGenes())));
        out.printf(Locale.ROOT, "2. the hidden path scores %.4f on %s (%d questions); searching %d genes (%d inclusion, %d "
                        + "scaling) with %s, population %d, %d generations...%n", targetScore, setup.taskName(), d.rows,
                genome.size(), genome.inclusionGenes(), genome.scalingGenes(), opt, p.populationSize(), generations + 1);
        out.flush();

        DemoProgress listener = new DemoProgress(out, d.err(), d.progress);
        List<double[]> curve = listener.curve();
        EvolutionRun.Result r = launcher.run(p, x -> evaluator, listener);

        out.println();
        out.println("3. fitness by generation (best so far, of the hidden path's score)");
        for (double[] g : curve) {
            out.printf(Locale.ROOT, "   gen %2d %.4f = %5.1f%%  (generation best %.4f, mean %.4f)%n", (int) g[0], g[3],
                    100 * g[3] / Math.max(targetScore, 1e-9), g[1], g[2]);
        }
        out.println();
        out.println("4. hidden path");
        out.print(table(setup.target()));
        if (r.best() != null) {
            out.println("   found path");
            out.print(table(genome.decode(r.best().candidate().genes())));
            double ratio = targetScore > 0 ? r.best().score() / targetScore : Double.NaN;
            out.printf(Locale.ROOT, "%n   recovered fitness %.4f = %.1f%% of the hidden path's %.4f, after %d evaluations in %.0f s%n",
                    r.best().score(), 100 * ratio, targetScore, r.evaluations(), (System.nanoTime() - t0) / 1e9);
            out.println("   best_config.yaml (plain mergekit passthrough): " + storage.resolve("best_config.yaml"));
        }
        out.println("   run: " + storage + " (see it with: evomerge dashboard --storage-path " + storage + ")");
        warnings.forEach(d::warn);
        out.flush();
        return 0;
    }

    /** A path as a table: position, model (A = model 0, B = model 1, ...), layer, input scale. */
    static String table(LayerPath path) {
        StringBuilder sb = new StringBuilder("   step  model  layer  input scale\n");
        int i = 0;
        for (PathStep s : path.steps()) {
            sb.append(String.format(Locale.ROOT, "   %4d  %5s  %5d  %11.3f%n", i++, String.valueOf((char) ('A' + s.model())),
                    s.layer(), s.scale()));
        }
        return sb.toString();
    }
}
