package dev.evomerge.evolve;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.evolve.genome.Genome;
import dev.evomerge.evolve.genome.TaskSpec;
import dev.evomerge.evolve.llm.LlmPrice;
import dev.evomerge.evolve.objective.Objectives;
import dev.evomerge.evolve.pareto.Hypervolume;
import dev.evomerge.evolve.pareto.MultiObjectiveOptimizer;
import dev.evomerge.evolve.pareto.ParetoFront;
import dev.evomerge.evolve.run.CandidateEvaluator;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.EvolutionListener;
import dev.evomerge.evolve.run.Fitness;
import dev.evomerge.evolve.run.GenerationStats;
import dev.evomerge.evolve.store.ParetoStore;
import dev.evomerge.evolve.store.ParetoStore.CandidateId;
import dev.evomerge.evolve.store.RunMeta;
import dev.evomerge.evolve.store.RunStore;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The generation loop of a run with several objectives ({@code --objectives}): as {@link EvolutionRun}, but each
 * candidate's objective vector is measured, recorded (run.db's objective_values) and told to a
 * {@link MultiObjectiveOptimizer}; after each generation the front of every candidate scored so far is recorded with
 * its hypervolume (pareto_fronts) and written to STORAGE/pareto/ ({@link ParetoFolder}). The weighted sum of the
 * genome file's tasks is still each candidate's score, so best_config.yaml, the progress lines and final_model mean
 * what they mean in a single-objective run. State is saved after each generation, so a killed run resumes there with
 * the same population and front.
 *
 * <p>The hypervolume is measured in the maximised objective space (costs negated) from a reference point fixed by the
 * first generation that scored: each objective's worst value there, less a tenth of its range (or of its magnitude
 * when all were equal, or 1 when that is 0). It shows a run's progress; compare runs with one common reference
 * ({@link Hypervolume#of}) over their stored objective vectors.
 */
public final class MultiObjectiveRun {

    private final RunStore store;
    private final ParetoStore pareto;
    private final Path storage;
    private final Genome genome;
    private final List<TaskSpec> tasks;
    private final Objectives objectives;
    private final MultiObjectiveOptimizer optimizer;
    private final CandidateEvaluator evaluator;
    private final EvolutionListener listener;
    private LlmPrice llmPrice;
    private double[] reference;

    public MultiObjectiveRun(RunStore store, ParetoStore pareto, Path storage, Genome genome, List<TaskSpec> tasks,
                             Objectives objectives, MultiObjectiveOptimizer optimizer, CandidateEvaluator evaluator,
                             EvolutionListener listener) {
        if (optimizer.objectiveCount() != objectives.size()) {
            throw new IllegalArgumentException("the optimizer has " + optimizer.objectiveCount() + " objectives, the run "
                    + objectives.size());
        }
        this.store = store;
        this.pareto = pareto;
        this.storage = storage;
        this.genome = genome;
        this.tasks = List.copyOf(tasks);
        this.objectives = objectives;
        this.optimizer = optimizer;
        this.evaluator = evaluator;
        this.listener = listener;
    }

    /** Prices the LLM tokens in summary.json; null for none. */
    public MultiObjectiveRun llmPrice(LlmPrice price) {
        this.llmPrice = price;
        return this;
    }

    /** Runs generations {@code firstGeneration .. lastGeneration}, as {@link EvolutionRun#run} does. */
    public EvolutionRun.Result run(int firstGeneration, int lastGeneration, Integer maxEvaluations) {
        pareto.putObjectives(objectives.list());
        List<Evaluation> stored = store.allCandidates();
        Evaluation best = Evaluation.best(stored);
        reference = pareto.latestFront().map(ParetoStore.Front::reference).orElse(null);
        if (best != null) {
            // a run killed between recording a candidate and rewriting the files left the previous ones there
            EvolutionRun.atomicWrite(storage.resolve("best_config.yaml"), best.candidate().mergeYaml());
        }
        if (firstGeneration > 0) {
            writeFront(firstGeneration - 1, stored, false);
        }
        int evaluations = stored.size();
        int generation = firstGeneration;
        store.putMeta(RunMeta.STATUS, "running");
        try {
            for (; generation <= lastGeneration; generation++) {
                if (maxEvaluations != null && evaluations >= maxEvaluations) {
                    break;
                }
                List<double[]> genes = optimizer.ask();
                GenerationEvaluation done = GenerationEvaluation.run(store, genome::decode, evaluator, listener, generation, genes,
                        this::score);
                Evaluation[] results = done.results();
                Map<CandidateId, double[]> values = values();
                double bestBefore = best == null ? Double.NaN : best.score();
                double[][] told = new double[results.length][];
                for (int k = 0; k < results.length; k++) {
                    double[] v = results[k].ok() ? values.get(id(results[k])) : null;
                    told[k] = v == null ? failed() : objectives.maximised(v);
                    if (results[k].ok() && (best == null || results[k].score() > best.score())) {
                        best = results[k];
                        EvolutionRun.atomicWrite(storage.resolve("best_config.yaml"), best.candidate().mergeYaml());
                        listener.newBest(best);
                    }
                }
                evaluations += done.evaluated();
                optimizer.tell(genes, told);
                store.saveOptimizerState(generation, optimizer.name(), optimizer.state());
                writeFront(generation, store.allCandidates(), true);
                listener.generationDone(GenerationStats.of(generation, Arrays.asList(results), bestBefore));
            }
        } catch (RuntimeException e) {
            try {
                writeSummary(new EvolutionRun.Result(generation, evaluations, best), "failed");
            } catch (RuntimeException summary) {
                e.addSuppressed(summary);
            }
            throw e;
        }
        String status = best == null && evaluations > 0 ? "failed" : "completed";
        store.putMeta(RunMeta.STATUS, status);
        EvolutionRun.Result result = new EvolutionRun.Result(generation, evaluations, best);
        writeSummary(result, status);
        return result;
    }

    /** The weighted sum as the score, then the objective vector, recorded; a vector that cannot be measured fails it. */
    private Evaluation score(Evaluation e) {
        Evaluation scored = Fitness.scored(tasks, e);
        if (!scored.ok()) {
            return scored;
        }
        try {
            double[] v = objectives.measure(scored);
            pareto.recordValues(scored.candidate().generation(), scored.candidate().index(), v);
            return scored;
        } catch (IllegalArgumentException | dev.evomerge.core.EvomergeException bad) {
            return scored.failedWith(bad.getMessage());
        }
    }

    private double[] failed() {
        double[] v = new double[objectives.size()];
        Arrays.fill(v, Double.NEGATIVE_INFINITY);
        return v;
    }

    private Map<CandidateId, double[]> values() {
        Map<CandidateId, double[]> out = new HashMap<>();
        for (ParetoStore.Point p : pareto.points()) {
            out.put(new CandidateId(p.generation(), p.index()), p.values());
        }
        return out;
    }

    private static CandidateId id(Evaluation e) {
        return new CandidateId(e.candidate().generation(), e.candidate().index());
    }

    /**
     * The front of the scored candidates among {@code all}, one per distinct objective vector: recorded (when
     * {@code record}) and written to pareto/.
     */
    private List<ParetoFolder.Member> writeFront(int generation, List<Evaluation> all, boolean record) {
        Map<CandidateId, double[]> values = values();
        List<ParetoFolder.Member> scored = new ArrayList<>();
        for (Evaluation e : all) {
            double[] v = values.get(id(e));
            if (e.ok() && v != null) {
                scored.add(new ParetoFolder.Member(e, v));
            }
        }
        double[][] maximised = scored.stream().map(m -> objectives.maximised(m.values())).toArray(double[][]::new);
        if (reference == null && maximised.length > 0) {
            reference = referencePoint(maximised);
        }
        List<ParetoFolder.Member> front = new ArrayList<>();
        // one member per distinct objective vector, the earliest (candidates come by generation, then index): ties
        // add nothing to the trade-off and would crowd pareto/ with YAMLs that score the same
        for (int i : ParetoFront.distinctNonDominated(maximised)) {
            front.add(scored.get(i));
        }
        double hypervolume = reference == null ? 0 : Hypervolume.of(
                front.stream().map(m -> objectives.maximised(m.values())).toArray(double[][]::new), reference);
        if (record) {
            pareto.recordFront(new ParetoStore.Front(generation, front.stream().map(m -> id(m.evaluation())).toList(),
                    hypervolume, reference == null ? new double[objectives.size()] : reference));
        }
        ParetoFolder.write(storage, generation, objectives.list(), front, hypervolume);
        return front;
    }

    /** Each objective's worst value less a tenth of its range (of its magnitude if the range is 0; else 1). */
    static double[] referencePoint(double[][] maximised) {
        int m = maximised[0].length;
        double[] ref = new double[m];
        for (int j = 0; j < m; j++) {
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            for (double[] v : maximised) {
                lo = Math.min(lo, v[j]);
                hi = Math.max(hi, v[j]);
            }
            double margin = hi > lo ? (hi - lo) / 10 : lo != 0 ? Math.abs(lo) / 10 : 1;
            ref[j] = lo - margin;
        }
        return ref;
    }

    private void writeSummary(EvolutionRun.Result r, String status) {
        ObjectNode s = EvolutionRun.summary(optimizer.name(), r, status, store, llmPrice);
        s.set("objectives", ParetoFolder.objectivesJson(objectives.list()));
        var latest = pareto.latestFront();
        s.put("hypervolume", latest.map(ParetoStore.Front::hypervolume).orElse(0.0));
        Map<CandidateId, double[]> values = values();
        Map<CandidateId, Evaluation> byId = new HashMap<>();
        for (Evaluation e : store.allCandidates()) {
            byId.put(id(e), e);
        }
        List<ParetoFolder.Member> front = latest.map(f -> f.members().stream()
                .map(m -> new ParetoFolder.Member(byId.get(m), values.get(m))).toList()).orElse(List.of());
        s.set("front", ParetoFolder.membersJson(objectives.list(), front));
        EvolutionRun.atomicWrite(storage.resolve("summary.json"), s.toPrettyString() + "\n");
    }
}
