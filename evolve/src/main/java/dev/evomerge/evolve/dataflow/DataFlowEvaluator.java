package dev.evomerge.evolve.dataflow;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.eval.model.LanguageModel;
import dev.evomerge.eval.model.LanguageModels;
import dev.evomerge.evolve.local.EvaluationSettings;
import dev.evomerge.evolve.local.TaskScorer;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.CandidateEvaluator;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.MetricKey;

import java.util.Map;
import java.util.function.Consumer;

/**
 * Evaluates data-flow candidates in memory: the source models stay resident, each candidate re-points model 0's layer
 * sequence at its path (no weight is copied or written) and is scored by the run's tasks on the embedded engine. One
 * slot, since every candidate runs on the same host model. A path longer than max_layers is not run: it is recorded
 * with its penalty fitness under the metric {@link #PENALTY} and the worker name {@link #PENALISED}.
 */
public final class DataFlowEvaluator implements CandidateEvaluator {

    /** The metric a penalised candidate carries: how many layers its path has over max_layers. */
    public static final MetricKey PENALTY = new MetricKey("data_flow_penalty", "layers_over_max,none");
    /** The worker name of a penalised candidate (it ran nowhere). */
    public static final String PENALISED = "penalised: path over max_layers, not evaluated";

    /** Whether {@code e} is a penalised path's result, which carries its fitness already. */
    public static boolean isPenalty(Evaluation e) {
        return e.error() == null && PENALISED.equals(e.worker()) && e.metrics().containsKey(PENALTY);
    }

    private final DataFlowGenome genome;
    private final ResidentSources sources;
    private final TaskScorer scorer;
    private final LanguageModel lm;
    private final String name;

    /** Takes ownership of {@code sources} (closed with this evaluator). */
    public DataFlowEvaluator(DataFlowGenome genome, ResidentSources sources, EvaluationSettings settings,
                             Consumer<String> warnings) {
        if (sources.size() != genome.models().size()) {
            throw new IllegalArgumentException(sources.size() + " resident models for a genome of " + genome.models().size());
        }
        this.genome = genome;
        this.sources = sources;
        this.name = "local-dataflow";
        this.scorer = new TaskScorer(settings, warnings);
        this.lm = LanguageModels.embedded(sources.host(), name, false, true, settings.batchSize());
    }

    @Override
    public void evaluate(java.util.List<Candidate> candidates, Consumer<Evaluation> done) {
        for (Candidate c : candidates) {
            done.accept(evaluate(c));
        }
    }

    /** One candidate: its path run in memory, or its penalty when the path is too long. */
    public Evaluation evaluate(Candidate c) {
        long t0 = System.nanoTime();
        LayerPath path;
        try {
            path = genome.decode(c.genes());
        } catch (RuntimeException e) {
            return Evaluation.failed(c, describe(e), 0, 0, name);
        }
        if (genome.tooLong(path)) {
            return new Evaluation(c, genome.penalty(path), Map.of(PENALTY, (double) (path.length() - genome.maxLayers())),
                    null, 0, 0, PENALISED);
        }
        double pointSeconds = 0;
        try {
            sources.point(path);
            pointSeconds = (System.nanoTime() - t0) / 1e9;
            long t1 = System.nanoTime();
            Map<MetricKey, Double> metrics = scorer.score(lm);
            return new Evaluation(c, Double.NaN, metrics, null, pointSeconds, (System.nanoTime() - t1) / 1e9, name);
        } catch (RuntimeException e) {
            double elapsed = (System.nanoTime() - t0) / 1e9;
            return Evaluation.failed(c, describe(e), pointSeconds, elapsed - pointSeconds, name);
        }
    }

    private static String describe(RuntimeException e) {
        return e instanceof EvomergeException ? e.getMessage() : e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    @Override
    public void close() {
        lm.close();
        sources.close();
    }
}
