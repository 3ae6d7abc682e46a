package dev.evomerge.evolve.local;

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
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.function.Consumer;

/**
 * Runs a run's fitness tasks on a model and returns every metric keyed by task and "metric,filter". The task catalog is
 * resolved once; bootstrap standard errors are skipped (fitness needs only the values).
 */
public final class TaskScorer {

    private final TaskCatalog.Selection selection;
    private final Evaluator evaluator;
    private final EvaluationOptions options;
    /** The current candidate's time limit, checked after every batch of requests (one scorer per slot). */
    private volatile Deadline deadline = Deadline.NONE;

    public TaskScorer(EvaluationSettings s, Consumer<String> warnings) {
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
                });
        EvaluationOptions o = new EvaluationOptions(
                s.numFewshot() == null ? OptionalInt.empty() : OptionalInt.of(s.numFewshot()),
                s.limit() == null ? OptionalDouble.empty() : OptionalDouble.of(s.limit()),
                0, EvaluationOptions.DEFAULT_FEWSHOT_SEED, s.applyChatTemplate(), false);
        // The run's seed, not a fresh one: every candidate, slot, worker and resumed run sees the same documents.
        this.options = s.shuffle() ? o.withShuffleSeed(s.randomSeed()) : o;
    }

    /** Every metric of the run's tasks on this model, with no time limit (a server pool's scoring). */
    public Map<MetricKey, Double> score(LanguageModel model) {
        return score(model, Deadline.NONE);
    }

    Map<MetricKey, Double> score(LanguageModel model, Deadline limit) {
        deadline = limit;
        EvaluationResults r;
        try {
            r = evaluator.evaluate(selection, model, options);
        } finally {
            deadline = Deadline.NONE;
        }
        Map<MetricKey, Double> out = new LinkedHashMap<>();
        for (TaskResult t : r.tasks()) {
            for (MetricResult m : t.metrics()) {
                out.put(new MetricKey(t.name(), m.key()), m.value());
            }
        }
        return out;
    }

    List<String> taskNames() {
        return List.copyOf(selection.tasks().keySet());
    }
}
