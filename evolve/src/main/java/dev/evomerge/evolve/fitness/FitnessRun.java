package dev.evomerge.evolve.fitness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.core.io.AtomicFile;
import dev.evomerge.evolve.run.CandidateEvaluator;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.EvolutionListener;
import dev.evomerge.evolve.store.FitnessStore;
import dev.evomerge.evolve.store.RunStore;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What EvolutionLauncher calls for the fitness: {@link #evaluator} decorates the run's evaluator, {@link #finish}
 * measures the best candidates on the whole task, rewrites best_config.yaml by that fitness and adds the fitness
 * section to summary.json (tokens scored, how fitness was obtained, the best candidate's estimate and whole-task
 * fitness).
 */
public final class FitnessRun {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final FitnessPlan plan;
    private final FitnessStore store;
    private final Path storage;
    private EstimatingEvaluator evaluator;

    public FitnessRun(FitnessPlan plan, RunStore store, Path storage) {
        this.plan = plan;
        this.store = FitnessStore.of(store);
        this.storage = storage;
    }

    /**
     * The run's evaluator with this fitness.
     *
     * @param inputModels the genome's models as its merge recipes name them (calibration models)
     */
    public EstimatingEvaluator evaluator(CandidateEvaluator inner, List<String> inputModels,
                                         EvolutionListener listener) {
        evaluator = new EstimatingEvaluator(inner, plan, store, inputModels, listener::fitnessNote);
        return evaluator;
    }

    /**
     * After the generations: with an estimated fitness the best candidates are evaluated on the whole task and the best
     * of them becomes best_config.yaml and the result's best (its score the whole-task fitness); summary.json gains its
     * {@code fitness} section either way.
     *
     * @param runBest the best the generations found (by the fitness they ran on), null if none scored
     * @return the run's best: the whole-task best where one was evaluated, else {@code runBest}
     */
    public Evaluation finish(Evaluation runBest, RunStore runStore) {
        Optional<Evaluation> best = runBest == null ? Optional.empty() : evaluator.finish(runStore.allCandidates());
        best.ifPresent(b -> AtomicFile.write(storage.resolve("best_config.yaml"),
                b.candidate().mergeYaml().getBytes(StandardCharsets.UTF_8)));
        writeSummary(runBest, best.orElse(null));
        return best.orElse(runBest);
    }

    private void writeSummary(Evaluation bestEstimated, Evaluation bestFull) {
        Path file = storage.resolve("summary.json");
        if (!Files.exists(file)) {
            return;
        }
        ObjectNode s;
        try {
            JsonNode read = JSON.readTree(Files.readString(file));
            if (!(read instanceof ObjectNode o)) {
                return;
            }
            s = o;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + file, e);
        }
        ObjectNode f = s.putObject("fitness");
        f.put("estimator", plan.kind().text());
        if (plan.kind() != FitnessEstimatorKind.FULL) {
            f.put("anchors", plan.options().anchorCount());
            if (plan.options().calibrationLimit() != null) {
                f.put("calibration_limit", plan.options().calibrationLimit());
            }
            f.put("full_eval_top", plan.options().fullEvalTopCount());
            if (plan.options().recalibrationInterval() > 0) {
                f.put("recalibrate_every", plan.options().recalibrationInterval());
            }
        }
        f.put("tokens_scored", store.tokensScored());
        List<FitnessStore.CandidateFitness> labels = store.candidates();
        f.put("candidates_estimated", labels.stream().filter(c -> c.estimate() != null).count());
        f.put("candidates_measured_full", labels.stream().filter(c -> c.full() != null).count());
        if (bestFull != null) {
            // best_* describe the candidate chosen by whole-task fitness, which best_config.yaml holds
            f.put("best_score_label", "full");
            if (bestEstimated != null) {
                f.put("best_estimated_score", bestEstimated.score());
                f.put("best_estimated_generation", bestEstimated.candidate().generation());
                f.put("best_estimated_index", bestEstimated.candidate().index());
            }
            labels.stream().filter(c -> c.generation() == bestFull.candidate().generation()
                            && c.index() == bestFull.candidate().index()).findFirst()
                    .ifPresent(c -> f.put("best_full_candidate_estimate", c.estimate()));
            s.put("best_score", bestFull.score());
            s.put("best_generation", bestFull.candidate().generation());
            s.put("best_index", bestFull.candidate().index());
            var genes = s.putArray("best_genes");
            for (double g : bestFull.candidate().genes()) {
                genes.add(g);
            }
            s.put("best_metrics_label", "as recorded for the candidate: estimated where it was estimated");
            var metrics = s.putObject("best_metrics");
            bestFull.metrics().forEach((k, v) -> metrics.put(k.text(), v));
            s.put("best_config", bestFull.candidate().mergeYaml());
        } else if (plan.kind() == FitnessEstimatorKind.FULL) {
            f.put("best_score_label", "full");
        }
        AtomicFile.write(file, (s.toPrettyString() + "\n").getBytes(StandardCharsets.UTF_8));
    }
}
