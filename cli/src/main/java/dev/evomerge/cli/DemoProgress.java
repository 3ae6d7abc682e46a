package dev.evomerge.cli;

import dev.evomerge.evolve.llm.LlmExchange;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.EvolutionListener;
import dev.evomerge.evolve.run.GenerationStats;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * What both demos (recipe and data-flow) show while they search: a progress bar per generation, the LLM's notices, and
 * the fitness curve kept for the summary: per generation {generation, best, mean, best so far}.
 */
final class DemoProgress implements EvolutionListener {

    private final PrintWriter out;
    private final PrintWriter err;
    private final RunProgressOptions progress;
    private final LlmTally llm = new LlmTally(null);
    private final List<double[]> curve = new ArrayList<>();
    private final List<String> fitnessNotes = new ArrayList<>();
    private ProgressBar bar;

    DemoProgress(PrintWriter out, PrintWriter err, RunProgressOptions progress) {
        this.out = out;
        this.err = err;
        this.progress = progress;
    }

    List<double[]> curve() {
        return curve;
    }

    /** The estimated-fitness lines of the run (--fitness-estimator), printed after it. */
    List<String> fitnessNotes() {
        return fitnessNotes;
    }

    @Override
    public void fitnessNote(String line) {
        fitnessNotes.add(line);
    }

    @Override
    public void generationStarted(int generation, int candidates, int alreadyEvaluated) {
        bar = new ProgressBar(out, "   generation " + generation, candidates, "candidates", progress.progressBars());
    }

    @Override
    public void candidateDone(Evaluation e) {
        bar.step(1);
    }

    @Override
    public void llmExchange(LlmExchange x) {
        progress.llmExchange(llm, x, err);
    }

    @Override
    public void generationDone(GenerationStats s) {
        bar.close();
        curve.add(new double[] {s.generation(), s.best(), s.mean(), s.bestSoFar()});
    }
}
