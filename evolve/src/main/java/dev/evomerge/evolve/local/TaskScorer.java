package dev.evomerge.evolve.local;

import dev.evomerge.eval.DocumentChoice;
import dev.evomerge.eval.DocumentScores;
import dev.evomerge.eval.EvaluationListener;
import dev.evomerge.eval.EvaluationOptions;
import dev.evomerge.eval.EvaluationResults;
import dev.evomerge.eval.Evaluator;
import dev.evomerge.eval.MetricResult;
import dev.evomerge.eval.TaskResult;
import dev.evomerge.eval.data.DatasetLoader;
import dev.evomerge.eval.model.LanguageModel;
import dev.evomerge.eval.task.TaskCatalog;
import dev.evomerge.evolve.genome.TaskSpec;
import dev.evomerge.evolve.run.MetricKey;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Runs a run's fitness tasks on a model and returns every metric keyed by task and "metric,filter". The task catalog is
 * resolved once; bootstrap standard errors are skipped (fitness needs only the values).
 */
final class TaskScorer {

    private final TaskCatalog.Selection selection;
    private final Evaluator evaluator;
    private final EvaluationOptions options;
    /** The current candidate's time limit, checked after every batch of requests (one scorer per slot). */
    private volatile Deadline deadline = Deadline.NONE;
    /** The documents the next evaluations run (an estimated fitness chooses them); all by default. */
    private volatile DocumentChoice choice = DocumentChoice.ALL;
    /** Per-document values of the evaluation running now, and of the last one once it ended. */
    private final List<DocumentScores> documents = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile java.util.OptionalLong tokens = java.util.OptionalLong.empty();

    TaskScorer(EvaluationSettings s, Consumer<String> warnings) {
        TaskCatalog catalog = TaskCatalog.load(s.includePaths().stream().map(Path::of).toList(), warnings);
        this.selection = catalog.select(s.tasks().stream().map(TaskSpec::name).distinct().toList());
        this.evaluator = new Evaluator(new DatasetLoader(s.dataRoot(),
                s.baseDirectory() == null ? Path.of("").toAbsolutePath() : Path.of(s.baseDirectory())),
                new EvaluationListener() {
                    @Override
                    public void warning(String message) {
                        warnings.accept(message);
                    }

                    @Override
                    public dev.evomerge.eval.model.Progress phase(String name, int total) {
                        return n -> deadline.check();
                    }

                    @Override
                    public void documentScores(DocumentScores scores) {
                        documents.add(scores);
                    }
                });
        this.options = s.evaluationOptions();
    }

    Map<MetricKey, Double> score(LanguageModel model, Deadline limit) {
        deadline = limit;
        documents.clear();
        tokens = java.util.OptionalLong.empty();
        java.util.OptionalLong before = model.tokensScored();
        EvaluationResults r;
        try {
            r = evaluator.evaluate(selection, model, options, choice);
        } finally {
            deadline = Deadline.NONE;
            java.util.OptionalLong after = model.tokensScored();
            tokens = before.isPresent() && after.isPresent()
                    ? java.util.OptionalLong.of(after.getAsLong() - before.getAsLong()) : java.util.OptionalLong.empty();
        }
        Map<MetricKey, Double> out = new LinkedHashMap<>();
        for (TaskResult t : r.tasks()) {
            for (MetricResult m : t.metrics()) {
                out.put(new MetricKey(t.name(), m.key()), m.value());
            }
        }
        return out;
    }

    /** The documents the following evaluations run. */
    void choose(DocumentChoice documents) {
        this.choice = documents;
    }

    /** The per-document values of the last evaluation (empty when it failed before scoring). */
    List<DocumentScores> lastDocuments() {
        return List.copyOf(documents);
    }

    /** The tokens the last evaluation ran through its model, where the model counts them. */
    java.util.OptionalLong lastTokens() {
        return tokens;
    }

    List<String> taskNames() {
        return List.copyOf(selection.tasks().keySet());
    }
}
