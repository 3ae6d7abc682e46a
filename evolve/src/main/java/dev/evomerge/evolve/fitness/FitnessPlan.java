package dev.evomerge.evolve.fitness;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.eval.DocumentChoice;
import dev.evomerge.eval.TaskDocuments;
import dev.evomerge.eval.data.DatasetLoader;
import dev.evomerge.eval.estimate.Subset;
import dev.evomerge.eval.estimate.SubsetSelector;
import dev.evomerge.eval.estimate.TaskItem;
import dev.evomerge.eval.task.TaskCatalog;
import dev.evomerge.evolve.genome.TaskSpec;
import dev.evomerge.evolve.local.EvaluationSettings;
import dev.evomerge.evolve.run.MetricKey;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * An estimated fitness made ready before the run writes anything: the resolved options, the fitness terms (one per
 * distinct task/metric of the genome file), each task's documents, the subset ({@code subset}) or calibration
 * documents ({@code anchors}, {@code irt}), all checked: a corpus-level metric or a task with fewer than K documents is
 * refused with one sentence.
 *
 * @param items each task's evaluated documents, by task name (empty for {@code full}, which reads no data up front)
 */
public record FitnessPlan(FitnessOptions options, long seed, List<TaskSpec> tasks, List<MetricKey> terms,
                          Map<String, List<TaskItem>> items) {

    /** The salt of the calibration documents' draw, so that they are not the subset drawn with the same seed. */
    private static final long CALIBRATION_SALT = 0x43414C49L;

    public FitnessPlan {
        tasks = List.copyOf(tasks);
        terms = List.copyOf(terms);
        items = Map.copyOf(items);
    }

    /** Today's behaviour: every candidate on the whole task. */
    public static FitnessPlan full(List<TaskSpec> tasks, long seed) {
        return new FitnessPlan(FitnessOptions.NONE, seed, tasks, terms(tasks), Map.of());
    }

    /**
     * Resolves and checks the options against the run's tasks.
     *
     * @param given    the command line's options (null values: not given)
     * @param genome   the genome file's (null values: not set)
     * @param settings how candidates are scored (which documents they see)
     */
    public static FitnessPlan prepare(FitnessOptions given, FitnessOptions genome, EvaluationSettings settings,
                                      Consumer<String> warnings) {
        FitnessOptions o = given.over(genome).checked();
        if (o.kind() == FitnessEstimatorKind.FULL) {
            return new FitnessPlan(o, settings.randomSeed(), settings.tasks(), terms(settings.tasks()), Map.of());
        }
        TaskCatalog catalog = TaskCatalog.load(settings.includePaths().stream().map(Path::of).toList(), warnings);
        List<String> names = settings.tasks().stream().map(TaskSpec::name).distinct().toList();
        DatasetLoader data = new DatasetLoader(settings.dataRoot(), settings.baseDirectory() == null
                ? Path.of("").toAbsolutePath() : Path.of(settings.baseDirectory()));
        Map<String, TaskDocuments> documents = new LinkedHashMap<>();
        for (TaskDocuments d : TaskDocuments.of(catalog.select(names), data, settings.evaluationOptions(), warnings)) {
            documents.put(d.task(), d);
        }
        List<MetricKey> terms = terms(settings.tasks());
        int k = o.anchorCount();
        Map<String, List<TaskItem>> items = new LinkedHashMap<>();
        for (MetricKey term : terms) {
            TaskDocuments d = documents.get(term.task());
            if (d == null) {
                throw EvomergeException.usage("task " + term.task() + " is a group; --fitness-estimator " + o.kind()
                        + " estimates single tasks, so list its tasks in the genome file or use full.");
            }
            String metric = term.metric().contains(",") ? term.metric().substring(0, term.metric().indexOf(','))
                    : term.metric();
            if (!d.aggregations().containsKey(metric)) {
                throw EvomergeException.usage("task " + term.task() + " computes no metric '" + metric + "' (it computes "
                        + String.join(", ", d.aggregations().keySet()) + "), so its fitness term " + term.text()
                        + " cannot be estimated.");
            }
            if (!d.perDocumentMean(metric)) {
                throw EvomergeException.usage("task " + term.task() + "'s fitness metric '" + metric + "' is corpus-level"
                        + " (aggregation " + d.aggregations().get(metric).name().toLowerCase(java.util.Locale.ROOT)
                        + "), so it cannot be estimated from a few documents; use --fitness-estimator full.");
            }
            int n = d.items().size();
            int pool = o.kind().calibrated() && o.calibrationLimit() != null ? Math.min(n, o.calibrationLimit()) : n;
            if (pool < k) {
                throw EvomergeException.usage("task " + term.task() + " has " + pool + (pool < n ? " calibration" : "")
                        + " documents to evaluate, fewer than --anchors " + k + "; lower --anchors to at most " + pool
                        + " or use --fitness-estimator full.");
            }
            items.put(term.task(), d.items());
        }
        return new FitnessPlan(o, settings.randomSeed(), settings.tasks(), terms, items);
    }

    public FitnessEstimatorKind kind() {
        return options.kind();
    }

    /** The subset of each term ({@code subset}). */
    public Map<MetricKey, Subset> subsets() {
        Map<MetricKey, Subset> out = new LinkedHashMap<>();
        for (MetricKey term : terms) {
            out.put(term, SubsetSelector.select(term.task(), items.get(term.task()), options.anchorCount(), seed));
        }
        return out;
    }

    /**
     * The documents calibration models are evaluated on, per task: all of them, or with {@code --calibration-limit N}
     * a seeded stratified sample of N (drawn as a subset is, under a salted seed).
     */
    public List<TaskItem> calibrationItems(String task) {
        List<TaskItem> all = items.get(task);
        Integer limit = options.calibrationLimit();
        if (limit == null || limit >= all.size()) {
            return all;
        }
        Subset sample = SubsetSelector.select(task, all, limit, seed ^ CALIBRATION_SALT);
        return sample.columns().stream().map(all::get).toList();
    }

    /** The calibration documents of every task, or {@link DocumentChoice#ALL} when calibration runs whole tasks. */
    public DocumentChoice calibrationChoice() {
        if (options.calibrationLimit() == null) {
            return DocumentChoice.ALL;
        }
        Map<String, List<Integer>> byTask = new LinkedHashMap<>();
        for (String task : items.keySet()) {
            byTask.put(task, calibrationItems(task).stream().map(TaskItem::document).toList());
        }
        return new DocumentChoice(byTask);
    }

    /** The documents every term's estimator needs, united per task. */
    static DocumentChoice choiceOf(Map<MetricKey, ? extends dev.evomerge.eval.estimate.TaskEstimator> estimators) {
        Map<String, Set<Integer>> byTask = new LinkedHashMap<>();
        estimators.forEach((term, e) -> byTask.computeIfAbsent(term.task(), t -> new TreeSet<>()).addAll(e.documents()));
        Map<String, List<Integer>> out = new LinkedHashMap<>();
        byTask.forEach((t, docs) -> out.put(t, new ArrayList<>(docs)));
        return new DocumentChoice(out);
    }

    private static List<MetricKey> terms(List<TaskSpec> tasks) {
        Set<MetricKey> out = new LinkedHashSet<>();
        tasks.forEach(t -> out.add(MetricKey.of(t)));
        return List.copyOf(out);
    }
}
