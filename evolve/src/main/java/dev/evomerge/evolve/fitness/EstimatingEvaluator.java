package dev.evomerge.evolve.fitness;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.eval.DocumentChoice;
import dev.evomerge.eval.DocumentScores;
import dev.evomerge.eval.estimate.TaskEstimator;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.CandidateEvaluator;
import dev.evomerge.evolve.run.DocumentEvaluator;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.Fitness;
import dev.evomerge.evolve.run.MetricKey;
import dev.evomerge.evolve.run.ScoredEvaluation;
import dev.evomerge.evolve.store.FitnessStore;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The evaluator of an evolution with an estimated fitness (docs/evolution.md, "Estimated fitness"): it decorates the
 * run's evaluator, so the generation loop and every optimizer see fitness as they always did.
 * <ul>
 *   <li>{@code full}: candidates pass through; each one's tokens scored are recorded.</li>
 *   <li>{@code subset}: candidates are evaluated on the plan's subset documents only; fitness is their mean.</li>
 *   <li>{@code anchors}, {@code irt}: until estimators are fitted, a generation (the first, normally) is a calibration
 *       generation: the input models (once) and its candidates are evaluated on the calibration documents, their
 *       per-document values stored, then the estimators fitted and stored. Later candidates are evaluated on the anchor
 *       documents only, and their metric of each fitness term is the estimate of its whole-task value.</li>
 * </ul>
 * Every candidate's labels (method, estimate, whole-task fitness where measured, tokens) go to {@link FitnessStore}.
 * With {@code --full-eval-top N} each generation's best N by estimate are also evaluated on the whole task; at the end
 * {@link #finish} does so for the best of the run and picks the best candidate by whole-task fitness.
 * With {@code --recalibrate-every G} (irt) every G-th generation's best by estimate is evaluated on the whole task too,
 * and every candidate so measured joins the calibration models before the estimators are refitted ({@link
 * Recalibration}).
 */
public final class EstimatingEvaluator implements CandidateEvaluator {

    /** At the end, at least this many of the best candidates by estimate are evaluated on the whole task. */
    public static final int FINAL_FULL_EVALUATIONS = 3;
    /** Input models are calibration candidates of this generation (never stored as candidates). */
    static final int INPUT_GENERATION = -1;

    private final CandidateEvaluator inner;
    private final FitnessPlan plan;
    private final FitnessStore store;
    private final List<Candidate> inputModels;
    private final Consumer<String> notes;
    /** The fitted estimators by term; null until calibration ended (anchors, irt) or for full. */
    private Map<MetricKey, ? extends TaskEstimator> estimators;
    /** Candidates whose whole-task fitness is known, by "generation/index". */
    private final Map<String, Double> measured = new HashMap<>();
    private final Recalibration recalibration;

    /**
     * @param inputModels the genome's models, each as a one-model linear recipe: calibration models besides the first
     *                    generation's candidates
     * @param notes       one line per generation about the fitness (for the progress output)
     */
    public EstimatingEvaluator(CandidateEvaluator inner, FitnessPlan plan, FitnessStore store, List<String> inputModels,
                               Consumer<String> notes) {
        if (plan.kind() != FitnessEstimatorKind.FULL && !(inner instanceof DocumentEvaluator)) {
            throw localOnly(plan.kind());
        }
        this.inner = inner;
        this.plan = plan;
        this.store = store;
        this.notes = notes;
        this.recalibration = new Recalibration(plan.options().recalibrationInterval());
        List<Candidate> inputs = new ArrayList<>();
        for (int i = 0; i < inputModels.size(); i++) {
            String ref = inputModels.get(i);
            inputs.add(Candidate.stored(INPUT_GENERATION, i, new double[0], oneModelRecipe(ref), "input model " + ref));
        }
        this.inputModels = List.copyOf(inputs);
        switch (plan.kind()) {
            case SUBSET -> estimators = plan.subsets();
            case ANCHORS, IRT -> estimators = storedEstimators();
            case FULL -> estimators = null;
        }
        for (FitnessStore.CandidateFitness c : store.candidates()) {
            if (c.full() != null) {
                measured.put(key(c.generation(), c.index()), c.full());
            }
        }
    }

    /** The sentence refusing an estimated fitness where candidates are not evaluated locally (a cluster, a server pool). */
    public static EvomergeException localOnly(FitnessEstimatorKind kind) {
        return EvomergeException.usage("--fitness-estimator " + kind + " evaluates candidates on chosen documents, "
                + "which only local evaluation can do: drop the cluster or --eval-server options or use --fitness-estimator"
                + " full.");
    }

    /** A linear merge of one model with weight 1: the model itself, as the merge pipeline produces candidates. */
    static String oneModelRecipe(String model) {
        return "merge_method: linear\ndtype: bfloat16\nmodels:\n  - model: " + quoted(model)
                + "\n    parameters:\n      weight: 1.0\n";
    }

    private static String quoted(String s) {
        return "'" + s.replace("'", "''") + "'";
    }

    /** The estimators a run already fitted (a resumed run), or null when calibration has not ended. */
    private Map<MetricKey, TaskEstimator> storedEstimators() {
        Map<String, String> stored = store.estimators(plan.kind().text());
        Map<MetricKey, TaskEstimator> out = new LinkedHashMap<>();
        for (MetricKey term : plan.terms()) {
            String json = stored.get(term.text());
            if (json == null) {
                return null;
            }
            out.put(term, StoredEstimator.fromJson(term.task(), json));
        }
        return out;
    }

    /** The fitted estimators by term (empty before calibration ended and for full); the anchors a run uses. */
    public Map<MetricKey, TaskEstimator> estimators() {
        return estimators == null ? Map.of() : Map.copyOf(estimators);
    }

    @Override
    public void evaluate(List<Candidate> candidates, Consumer<Evaluation> done) {
        if (candidates.isEmpty()) {
            return;
        }
        if (estimators == null && plan.kind().calibrated()
                && calibratedBefore(candidates.getFirst().generation())) {
            fit(); // a run killed after its calibration generation's candidates were recorded, before the fit
        }
        Map<String, Double> fitness = new LinkedHashMap<>();
        List<Evaluation> batch = new ArrayList<>();
        long[] tokens = {0};
        Consumer<Labelled> collect = l -> {
            fitness.put(key(l.evaluation().candidate()), l.fitness());
            batch.add(l.evaluation());
            tokens[0] += l.tokens() == null ? 0 : l.tokens();
            done.accept(l.evaluation());
        };
        String method;
        if (plan.kind() == FitnessEstimatorKind.FULL) {
            method = "full";
            full(candidates, collect);
        } else if (estimators == null) {
            method = "calibration";
            calibrate(candidates, collect);
        } else {
            method = plan.kind().text();
            DocumentChoice choice = FitnessPlan.choiceOf(estimators);
            documents().evaluate(candidates, choice, s -> collect.accept(estimate(s, method)));
        }
        int generation = candidates.getFirst().generation();
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "fitness: generation %d %s, %,d tokens scored"
                        + " (%,d in the run)", generation, describe(method), tokens[0], store.tokensScored()));
        if (plan.kind() != FitnessEstimatorKind.FULL && plan.options().fullEvalTopCount() > 0) {
            List<Evaluation> top = best(batch, fitness, plan.options().fullEvalTopCount(), true);
            Map<String, Double> full = measureFull(top, estimating(method));
            line.append("; whole-task fitness of its best ").append(top.size()).append(": ").append(top.stream()
                    .map(e -> String.format(Locale.ROOT, "%.4f (estimated %.4f)", full.get(key(e.candidate())),
                            fitness.get(key(e.candidate()))))
                    .collect(Collectors.joining(", ")));
        }
        if (estimating(method) && recalibration.due(generation)) {
            recalibrate(best(batch, fitness, 1, false), fitness, line);
        }
        notes.accept(line.toString());
    }

    /** Whether candidates of this method are estimated by a fitted irt estimator that --recalibrate-every refits. */
    private boolean estimating(String method) {
        return recalibration.active() && method.equals(plan.kind().text()) && plan.kind().calibrated();
    }

    /**
     * Evaluates {@code top} (the generation's best by estimate, unless already measured) on the whole task, then refits
     * every term's estimator on all calibration rows, which hold each candidate measured on the whole task so far.
     */
    private void recalibrate(List<Evaluation> top, Map<String, Double> fitness, StringBuilder line) {
        Map<String, Double> full = measureFull(top.stream().filter(e -> !measured.containsKey(key(e.candidate())))
                .toList(), true);
        List<FitnessStore.CalibrationRow> rows = store.calibration();
        Map<MetricKey, TaskEstimator> out = new LinkedHashMap<>();
        for (MetricKey term : plan.terms()) {
            out.put(term, Recalibration.refit(plan, term, rows, estimators.get(term)));
        }
        out.forEach((term, e) -> store.putEstimator(term.text(), plan.kind().text(), StoredEstimator.toJson(e)));
        estimators = out;
        line.append("; recalibrated on ").append(Calibration.models(rows, plan.terms().getFirst())).append(" models");
        top.stream().filter(e -> full.containsKey(key(e.candidate()))).forEach(e -> line.append(String.format(
                Locale.ROOT, ", adding candidate %d: whole-task %.4f (estimated %.4f)", e.candidate().index(),
                full.get(key(e.candidate())), fitness.get(key(e.candidate())))));
    }

    private String describe(String method) {
        return switch (method) {
            case "full" -> "evaluated on whole tasks";
            case "calibration" -> "evaluated for calibration on " + (plan.options().calibrationLimit() == null
                    ? "whole tasks" : plan.options().calibrationLimit() + " documents per task");
            case "subset" -> "estimated (subset) from " + plan.options().anchorCount() + " documents per task";
            default -> "estimated (" + method + ") from " + anchorCounts() + " anchor documents per task";
        };
    }

    private String anchorCounts() {
        return estimators.values().stream().map(e -> String.valueOf(e.documents().size())).distinct()
                .collect(Collectors.joining("/"));
    }

    /** An evaluation with its fitness (null when it failed) and the tokens it scored (null where unknown). */
    private record Labelled(Evaluation evaluation, Double fitness, Long tokens) {
    }

    private void full(List<Candidate> candidates, Consumer<Labelled> done) {
        Consumer<ScoredEvaluation> record = s -> {
            Evaluation e = s.evaluation();
            Double f = fitness(e);
            Long tokens = tokens(s);
            store.recordCandidate(e.candidate().generation(), e.candidate().index(), "full", null, f, tokens);
            done.accept(new Labelled(e, f, tokens));
        };
        if (inner instanceof DocumentEvaluator d) {
            d.evaluate(candidates, DocumentChoice.ALL, record);
        } else {
            inner.evaluate(candidates, e -> record.accept(ScoredEvaluation.of(e)));
        }
    }

    private DocumentEvaluator documents() {
        return (DocumentEvaluator) inner;
    }

    /** Evaluates the input models (once) and these candidates on the calibration documents, then fits. */
    private void calibrate(List<Candidate> candidates, Consumer<Labelled> done) {
        DocumentChoice choice = plan.calibrationChoice();
        boolean whole = plan.options().calibrationLimit() == null;
        Set<String> have = store.calibration().stream().map(FitnessStore.CalibrationRow::model)
                .collect(Collectors.toSet());
        List<Candidate> inputs = inputModels.stream().filter(c -> !have.contains(calibrationName(c))).toList();
        documents().evaluate(inputs, choice, s -> {
            if (s.evaluation().error() != null) {
                notes.accept("fitness: input model " + calibrationName(s.evaluation().candidate()).substring(
                        FitnessStore.INPUT_MODEL_PREFIX.length()) + " is left out of calibration: "
                        + s.evaluation().error());
            } else {
                storeCalibration(s);
            }
        });
        documents().evaluate(candidates, choice, s -> {
            Evaluation e = s.evaluation();
            if (e.error() == null) {
                storeCalibration(s);
            }
            Double f = fitness(e);
            Long tokens = tokens(s);
            store.recordCandidate(e.candidate().generation(), e.candidate().index(), "calibration",
                    whole ? null : f, whole ? f : null, tokens);
            if (whole && f != null) {
                measured.put(key(e.candidate()), f);
            }
            done.accept(new Labelled(e, f, tokens));
        });
        fit();
    }

    /** Whether candidates of a generation before {@code generation} were evaluated for calibration. */
    private boolean calibratedBefore(int generation) {
        return store.candidates().stream()
                .anyMatch(c -> c.method().equals("calibration") && c.generation() < generation);
    }

    private String calibrationName(Candidate c) {
        if (c.generation() == INPUT_GENERATION) {
            return FitnessStore.INPUT_MODEL_PREFIX + c.config().models().get(0).model().path();
        }
        return "g" + c.generation() + "-i" + c.index();
    }

    private void storeCalibration(ScoredEvaluation s) {
        String name = calibrationName(s.evaluation().candidate());
        for (MetricKey term : plan.terms()) {
            DocumentScores d = documentsOf(s, term);
            if (d != null) {
                store.recordCalibration(new FitnessStore.CalibrationRow(name, term.text(), d.values(), tokens(s)));
            }
        }
    }

    /** Fits each term's estimator on the stored calibration results and stores it. */
    private void fit() {
        List<FitnessStore.CalibrationRow> rows = store.calibration();
        Map<MetricKey, TaskEstimator> out = new LinkedHashMap<>();
        for (MetricKey term : plan.terms()) {
            out.put(term, Calibration.fit(plan, term, rows));
        }
        out.forEach((term, e) -> store.putEstimator(term.text(), plan.kind().text(), StoredEstimator.toJson(e)));
        estimators = out;
        notes.accept("fitness: calibrated " + plan.kind() + " on " + Calibration.models(rows, plan.terms().getFirst())
                + " models; anchor documents per task: " + out.entrySet().stream()
                .map(x -> x.getKey().task() + " " + x.getValue().documents().size()).collect(Collectors.joining(", ")));
    }

    /** The candidate's estimated metrics from its per-document values on the estimators' documents. */
    private Labelled estimate(ScoredEvaluation s, String method) {
        Evaluation e = s.evaluation();
        Candidate c = e.candidate();
        Long tokens = tokens(s);
        Evaluation out = e.error() != null ? e : estimated(s);
        Double f = fitness(out);
        store.recordCandidate(c.generation(), c.index(), method, f, null, tokens);
        return new Labelled(out, f, tokens);
    }

    private Evaluation estimated(ScoredEvaluation s) {
        Evaluation e = s.evaluation();
        SortedMap<MetricKey, Double> metrics = new TreeMap<>();
        for (Map.Entry<MetricKey, ? extends TaskEstimator> entry : estimators.entrySet()) {
            MetricKey term = entry.getKey();
            TaskEstimator estimator = entry.getValue();
            DocumentScores d = documentsOf(s, term);
            if (d == null) {
                return Evaluation.failed(e.candidate(), "task " + term.task() + " reported no per-document values of '"
                        + term.metric() + "', so its fitness cannot be estimated", e.mergeSeconds(), e.evalSeconds(),
                        e.worker());
            }
            List<Integer> docs = estimator.documents();
            double[] results = new double[docs.size()];
            for (int i = 0; i < results.length; i++) {
                Double v = d.values().get(docs.get(i));
                if (v == null || !(v >= 0 && v <= 1)) {
                    return Evaluation.failed(e.candidate(), "task " + term.task() + " scored " + v + " on document "
                            + docs.get(i) + " for '" + term.metric() + "'; an estimate needs a value in [0, 1] on"
                            + " every anchor document", e.mergeSeconds(), e.evalSeconds(), e.worker());
                }
                results[i] = v;
            }
            metrics.put(term, estimator.estimate(results));
        }
        return new Evaluation(e.candidate(), Double.NaN, metrics, null, e.mergeSeconds(), e.evalSeconds(), e.worker());
    }

    private static DocumentScores documentsOf(ScoredEvaluation s, MetricKey term) {
        for (DocumentScores d : s.documents()) {
            if (d.task().equals(term.task()) && d.key().equals(term.metric())) {
                return d;
            }
        }
        return null;
    }

    /**
     * The best {@code n} of a batch by fitness (earliest index on ties); with {@code unmeasured} among those whose
     * whole-task fitness is not known.
     */
    private List<Evaluation> best(List<Evaluation> batch, Map<String, Double> fitness, int n, boolean unmeasured) {
        return batch.stream()
                .filter(e -> fitness.get(key(e.candidate())) != null
                        && !(unmeasured && measured.containsKey(key(e.candidate()))))
                .sorted(Comparator.comparingDouble((Evaluation e) -> -fitness.get(key(e.candidate())))
                        .thenComparingInt(e -> e.candidate().generation())
                        .thenComparingInt(e -> e.candidate().index()))
                .limit(n).toList();
    }

    /**
     * Evaluates candidates on the whole task and records their whole-task fitness.
     *
     * @param calibrate also store their per-document values as calibration rows (--recalibrate-every)
     */
    private Map<String, Double> measureFull(List<Evaluation> candidates, boolean calibrate) {
        Map<String, Double> out = new HashMap<>();
        if (candidates.isEmpty()) {
            return out;
        }
        documents().evaluate(candidates.stream().map(Evaluation::candidate).toList(), DocumentChoice.ALL, s -> {
            Candidate c = s.evaluation().candidate();
            Double f = fitness(s.evaluation());
            if (f != null) {
                if (calibrate) {
                    storeCalibration(s);
                }
                store.recordFullScore(c.generation(), c.index(), f, tokens(s));
                measured.put(key(c), f);
                out.put(key(c), f);
            }
        });
        return out;
    }

    /**
     * At the end of an estimated run: evaluates the best candidates by estimate (at least
     * {@value #FINAL_FULL_EVALUATIONS}, or --full-eval-top's N) on the whole task unless already measured, and returns
     * the best candidate by whole-task fitness with that fitness as its score; empty for full, or when none scored.
     */
    public Optional<Evaluation> finish(List<Evaluation> candidates) {
        if (plan.kind() == FitnessEstimatorKind.FULL) {
            return Optional.empty();
        }
        Map<String, Double> fitness = new HashMap<>();
        for (Evaluation e : candidates) {
            if (e.ok()) {
                fitness.put(key(e.candidate()), e.score());
            }
        }
        int n = Math.max(FINAL_FULL_EVALUATIONS, plan.options().fullEvalTopCount());
        List<Evaluation> ranked = candidates.stream().filter(Evaluation::ok)
                .sorted(Comparator.comparingDouble((Evaluation e) -> -e.score())
                        .thenComparingInt(e -> e.candidate().generation())
                        .thenComparingInt(e -> e.candidate().index()))
                .limit(n).toList();
        measureFull(ranked.stream().filter(e -> !measured.containsKey(key(e.candidate()))).toList(), false);
        Evaluation best = null;
        double bestFull = Double.NEGATIVE_INFINITY;
        for (Evaluation e : candidates) {
            Double full = measured.get(key(e.candidate()));
            if (e.ok() && full != null && full > bestFull) {
                best = e;
                bestFull = full;
            }
        }
        if (best == null) {
            return Optional.empty();
        }
        notes.accept(String.format(Locale.ROOT, "fitness: best by whole-task fitness: generation %d, candidate %d, "
                        + "%.4f (estimated %.4f); %,d tokens scored in the run", best.candidate().generation(),
                best.candidate().index(), bestFull, best.score(), store.tokensScored()));
        return Optional.of(new Evaluation(best.candidate(), bestFull, best.metrics(), null, best.mergeSeconds(),
                best.evalSeconds(), best.worker()));
    }

    /** The fitness formula, or null for a failed candidate or a missing metric. */
    private Double fitness(Evaluation e) {
        if (e.error() != null) {
            return null;
        }
        try {
            return Fitness.score(plan.tasks(), e.metrics());
        } catch (IllegalArgumentException missing) {
            return null;
        }
    }

    private static Long tokens(ScoredEvaluation s) {
        return s.tokensScored().isPresent() ? s.tokensScored().getAsLong() : null;
    }

    private static String key(Candidate c) {
        return key(c.generation(), c.index());
    }

    private static String key(int generation, int index) {
        return generation + "/" + index;
    }

    @Override
    public void close() {
        inner.close();
    }
}
