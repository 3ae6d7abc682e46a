package dev.evomerge.eval;

import dev.evomerge.eval.data.DatasetLoader;
import dev.evomerge.eval.estimate.TaskItem;
import dev.evomerge.eval.metric.Aggregation;
import dev.evomerge.eval.python.PythonValues;
import dev.evomerge.eval.task.OutputType;
import dev.evomerge.eval.task.TaskCatalog;
import dev.evomerge.eval.task.TaskConfig;
import dev.evomerge.eval.task.TaskConfigParser;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A task's evaluated documents as an estimated fitness sees them, read without a model: one {@link TaskItem} per
 * document (its index among the evaluated documents, and for a multiple_choice task its gold answer as the stratum a
 * stratified subset draws from in proportion), and how each metric aggregates.
 *
 * @param aggregations each metric's aggregation, by metric name
 */
public record TaskDocuments(String task, OutputType outputType, List<TaskItem> items,
                            Map<String, Aggregation> aggregations) {

    public TaskDocuments {
        items = List.copyOf(items);
        aggregations = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(aggregations));
    }

    /** Reads the selected tasks' documents as {@code options} (limit, shuffle) picks them for evaluation. */
    public static List<TaskDocuments> of(TaskCatalog.Selection selection, DatasetLoader data,
                                         EvaluationOptions options, Consumer<String> warnings) {
        List<TaskDocuments> out = new ArrayList<>();
        for (var yaml : selection.tasks().values()) {
            TaskConfig c = TaskConfigParser.parse(yaml, warnings);
            if (options.numFewshot().isPresent()) {
                c = c.withNumFewshot(options.numFewshot().getAsInt());
            }
            PreparedTask.check(c);
            PreparedTask t = PreparedTask.prepare(c, data, new dev.evomerge.eval.prompt.TemplateRenderer(), options,
                    Optional.empty(), warnings);
            List<TaskItem> items = new ArrayList<>(t.docs.size());
            for (int k = 0; k < t.docs.size(); k++) {
                int index = t.docIndices.get(k);
                items.add(c.outputType() == OutputType.MULTIPLE_CHOICE
                        ? TaskItem.of(index, PythonValues.str(t.fields.target(t.docs.get(k), index)))
                        : TaskItem.of(index));
            }
            Map<String, Aggregation> aggregations = new LinkedHashMap<>();
            t.metrics.forEach(m -> aggregations.put(m.name(), m.aggregation()));
            out.add(new TaskDocuments(c.name(), c.outputType(), items, aggregations));
        }
        return out;
    }

    /**
     * Whether {@code metric} is the mean of per-document values (acc, acc_norm, exact_match, a per-document f1 or mc2),
     * which an estimate from a few documents can approximate; a corpus-level metric (perplexities, bleu, f1 over
     * label pairs, mcc) is not.
     */
    public boolean perDocumentMean(String metric) {
        return aggregations.get(metric) == Aggregation.MEAN;
    }
}
