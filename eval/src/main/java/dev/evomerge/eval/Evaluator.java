package dev.evomerge.eval;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.eval.data.DatasetLoader;
import dev.evomerge.eval.filter.FilterPipeline;
import dev.evomerge.eval.metric.SampleValue;
import dev.evomerge.eval.metric.Stderr;
import dev.evomerge.eval.model.GenerationQuery;
import dev.evomerge.eval.model.LanguageModel;
import dev.evomerge.eval.model.LoglikelihoodAnswer;
import dev.evomerge.eval.model.LoglikelihoodQuery;
import dev.evomerge.eval.model.Progress;
import dev.evomerge.eval.prompt.Prompt;
import dev.evomerge.eval.prompt.TemplateRenderer;
import dev.evomerge.eval.python.PythonValues;
import dev.evomerge.eval.task.GenerationKwargs;
import dev.evomerge.eval.task.GroupConfig;
import dev.evomerge.eval.task.OutputType;
import dev.evomerge.eval.task.TaskCatalog;
import dev.evomerge.eval.task.TaskConfig;
import dev.evomerge.eval.task.TaskConfigParser;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.IntFunction;

/**
 * Runs tasks on a {@link LanguageModel} as lm-evaluation-harness does: builds every document's requests (all
 * tasks' loglikelihood requests go to the model together, so shared contexts are computed once), scores the answers
 * through the filter pipelines, aggregates each metric with its stderr, and aggregates groups.
 */
public final class Evaluator {

    /** Python's {@code re.split(r"\s+", doc)} word boundaries (Unicode whitespace). */
    private static final java.util.regex.Pattern WHITESPACE =
            java.util.regex.Pattern.compile("\\s+", java.util.regex.Pattern.UNICODE_CHARACTER_CLASS);

    private final DatasetLoader data;
    private final EvaluationListener listener;
    private final TemplateRenderer renderer = new TemplateRenderer();

    public Evaluator(DatasetLoader data, EvaluationListener listener) {
        this.data = data;
        this.listener = listener;
    }

    /** Evaluates what a {@link TaskCatalog} selected. */
    public EvaluationResults evaluate(TaskCatalog.Selection selection, LanguageModel model, EvaluationOptions options) {
        return evaluate(selection, model, options, DocumentChoice.ALL);
    }

    /** Evaluates what a {@link TaskCatalog} selected, each task on the documents {@code choice} names for it. */
    public EvaluationResults evaluate(TaskCatalog.Selection selection, LanguageModel model, EvaluationOptions options,
                                      DocumentChoice choice) {
        List<TaskConfig> tasks = new ArrayList<>();
        selection.tasks().values().forEach(y -> tasks.add(TaskConfigParser.parse(y, listener::warning)));
        return evaluate(tasks, selection.groups(), model, options, choice);
    }

    /** Evaluates tasks (and reports the given groups over them). */
    public EvaluationResults evaluate(List<TaskConfig> configs, Map<String, GroupConfig> groups, LanguageModel model,
                                      EvaluationOptions options) {
        return evaluate(configs, groups, model, options, DocumentChoice.ALL);
    }

    /** Evaluates tasks, each on the documents {@code choice} names for it (and reports the groups over them). */
    public EvaluationResults evaluate(List<TaskConfig> configs, Map<String, GroupConfig> groups, LanguageModel model,
                                      EvaluationOptions options, DocumentChoice choice) {
        long start = System.nanoTime();
        List<TaskConfig> tasks = new ArrayList<>();
        for (TaskConfig c : configs) {
            TaskConfig t = options.numFewshot().isPresent() ? c.withNumFewshot(options.numFewshot().getAsInt()) : c;
            PreparedTask.check(t);
            tasks.add(t);
        }
        List<PreparedTask> prepared = new ArrayList<>();
        for (TaskConfig t : tasks) {
            prepared.add(PreparedTask.prepare(t, data, renderer, options, choice, Optional.of(model),
                    listener::warning));
        }
        Requests requests = new Requests();
        List<List<DocInstance>> instances = new ArrayList<>();
        for (PreparedTask t : prepared) {
            instances.add(buildInstances(t, requests));
        }
        requests.run(model, listener);
        List<TaskResult> results = new ArrayList<>();
        for (int i = 0; i < prepared.size(); i++) {
            results.add(score(prepared.get(i), instances.get(i), requests, options));
        }
        List<GroupResult> groupResults = GroupAggregation.aggregate(groups, results);
        double seconds = (System.nanoTime() - start) / 1e9;
        Map<String, Object> info = new LinkedHashMap<>(model.describe());
        return new EvaluationResults(model.name(), info, options, results, groupResults, seconds);
    }

    /** Where one document's requests sit in the shared request lists. */
    private record DocInstance(int index, Map<String, Object> doc, Prompt prompt, List<String> choices, Object target,
                               Object gold, int first, int count, int conditional, List<Object> arguments) {
    }

    /** All requests of a run, by type; answers fill in after {@link #run}. */
    private static final class Requests {
        final List<LoglikelihoodQuery> loglikelihood = new ArrayList<>();
        final List<String> rolling = new ArrayList<>();
        final List<GenerationQuery> generation = new ArrayList<>();
        List<LoglikelihoodAnswer> llAnswers = List.of();
        List<Double> rollingAnswers = List.of();
        List<String> generated = List.of();

        void run(LanguageModel model, EvaluationListener listener) {
            if (!loglikelihood.isEmpty()) {
                Progress p = listener.phase("loglikelihood requests", loglikelihood.size());
                llAnswers = model.loglikelihood(loglikelihood, p);
                listener.phaseDone();
                check(llAnswers.size(), loglikelihood.size(), model);
                requireLogLikelihoods(llAnswers.stream().map(LoglikelihoodAnswer::logprob).toList(), model,
                        i -> "the continuation " + PythonValues.stringRepr(loglikelihood.get(i).continuation())
                                + "; its weights are probably broken (e.g. an overflowed merge)");
            }
            if (!rolling.isEmpty()) {
                Progress p = listener.phase("loglikelihood_rolling requests", rolling.size());
                rollingAnswers = model.loglikelihoodRolling(rolling, p);
                listener.phaseDone();
                check(rollingAnswers.size(), rolling.size(), model);
                requireLogLikelihoods(rollingAnswers, model,
                        i -> "a perplexity document; its weights are probably broken");
            }
            if (!generation.isEmpty()) {
                Progress p = listener.phase("generate_until requests", generation.size());
                generated = model.generate(generation, p);
                listener.phaseDone();
                check(generated.size(), generation.size(), model);
            }
        }

        /** A log-likelihood above 0 or NaN comes from broken weights: no metric is reported for them. */
        private static void requireLogLikelihoods(List<Double> values, LanguageModel model, IntFunction<String> what) {
            for (int i = 0; i < values.size(); i++) {
                double v = values.get(i);
                if (Double.isNaN(v) || v > 0) {
                    throw EvomergeException.runtime("model " + model.name() + " returned a log-likelihood of " + v
                            + " for " + what.apply(i) + ", so no metric is reported", null);
                }
            }
        }

        private static void check(int got, int asked, LanguageModel model) {
            if (got != asked) {
                throw EvomergeException.runtime("model " + model.name() + " answered " + got + " of " + asked
                        + " requests", null);
            }
        }
    }

    private List<DocInstance> buildInstances(PreparedTask t, Requests requests) {
        TaskConfig c = t.config;
        List<DocInstance> out = new ArrayList<>(t.docs.size());
        for (int k = 0; k < t.docs.size(); k++) {
            Map<String, Object> doc = t.docs.get(k);
            int i = t.docIndices.get(k); // the document's own index, so a chosen document is asked as in the whole task
            Prompt prompt = t.prompts.build(doc, i);
            switch (c.outputType()) {
                case MULTIPLE_CHOICE -> {
                    List<String> choices = t.fields.choices(doc, i);
                    String delimiter = t.prompts.chatTemplate() ? "" : c.targetDelimiter();
                    Object target;
                    Object goldSource;
                    List<LoglikelihoodQuery> queries = new ArrayList<>();
                    if (prompt.multipleInput()) {
                        target = t.fields.target(doc, i);
                        goldSource = t.fields.text(doc, i);
                        String cont = delimiter + PythonValues.str(target);
                        for (String ctx : prompt.contexts()) {
                            queries.add(new LoglikelihoodQuery(ctx, cont));
                        }
                    } else {
                        target = t.fields.target(doc, i);
                        goldSource = target;
                        for (String choice : choices) {
                            queries.add(new LoglikelihoodQuery(prompt.context(), delimiter + choice));
                        }
                    }
                    Object gold = t.processResults == null ? Gold.resolve(goldSource, choices, c.name(), i) : goldSource;
                    int conditional = queries.size();
                    if (t.metrics.stream().anyMatch(m -> m.name().equals("acc_mutual_info"))) {
                        for (String choice : choices) {
                            queries.add(new LoglikelihoodQuery("", delimiter + choice));
                        }
                    }
                    int first = requests.loglikelihood.size();
                    requests.loglikelihood.addAll(queries);
                    List<Object> args = new ArrayList<>();
                    queries.forEach(q -> args.add(List.of(q.context(), q.continuation())));
                    out.add(new DocInstance(i, doc, prompt, choices, target, gold, first, queries.size(), conditional,
                            args));
                }
                case LOGLIKELIHOOD -> {
                    Object target = t.fields.target(doc, i);
                    LoglikelihoodQuery q = new LoglikelihoodQuery(prompt.context(), PythonValues.str(target));
                    int first = requests.loglikelihood.size();
                    requests.loglikelihood.add(q);
                    out.add(new DocInstance(i, doc, prompt, List.of(), target, null, first, 1, 1,
                            List.of(List.of(q.context(), q.continuation()))));
                }
                case LOGLIKELIHOOD_ROLLING -> {
                    Object target = t.fields.target(doc, i);
                    if (!(target instanceof String text)) {
                        throw EvomergeException.usage("task " + c.name() + " (loglikelihood_rolling): doc_to_target of "
                                + "document " + i + " must be a string, got " + PythonValues.repr(target));
                    }
                    int first = requests.rolling.size();
                    requests.rolling.add(text);
                    out.add(new DocInstance(i, doc, prompt, List.of(), target, null, first, 1, 1,
                            List.of(List.of(text))));
                }
                case GENERATE_UNTIL -> {
                    Object target = t.fields.target(doc, i);
                    GenerationKwargs g = c.generationKwargs();
                    int first = requests.generation.size();
                    for (int r = 0; r < c.repeats(); r++) {
                        long seed = 1234L + 1_000_003L * i + r;
                        requests.generation.add(g.sampling()
                                ? new GenerationQuery(prompt.context(), g.until(), g.maxGenToks(), g.temperature(),
                                g.topP(), g.topK(), seed)
                                : GenerationQuery.greedy(prompt.context(), g.until(), g.maxGenToks()));
                    }
                    out.add(new DocInstance(i, doc, prompt, List.of(), target, null, first, c.repeats(), 1,
                            List.of(List.of(prompt.context(), g.raw()))));
                }
            }
        }
        return out;
    }

    private TaskResult score(PreparedTask t, List<DocInstance> docs, Requests requests, EvaluationOptions options) {
        TaskConfig c = t.config;
        List<MetricResult> metrics = new ArrayList<>();
        List<Map<String, Object>> samples = new ArrayList<>();
        for (FilterPipeline pipeline : t.pipelines) {
            Map<String, List<SampleValue>> values = new LinkedHashMap<>();
            t.metrics.forEach(m -> values.put(m.name(), new ArrayList<>()));
            for (DocInstance d : docs) {
                DocScore s = scoreDoc(t, d, pipeline, requests);
                for (PreparedTask.PlannedMetric m : t.metrics) {
                    SampleValue v = s.values().get(m.name());
                    if (v == null) {
                        throw EvomergeException.usage("task " + c.name() + ": process_results "
                                + c.processResults().name() + " gives no '" + m.name() + "' for document " + d.index()
                                + " (it gives " + s.values().keySet() + "); list only those in metric_list");
                    }
                    values.get(m.name()).add(v);
                }
                if (options.logSamples()) {
                    samples.add(SampleLog.record(d.index(), d.doc(), d.target(), d.arguments(), s.responses(),
                            s.filtered(), pipeline.name(), s.values(), t.metrics.stream().map(PreparedTask.PlannedMetric::name).toList()));
                }
            }
            for (PreparedTask.PlannedMetric m : t.metrics) {
                List<SampleValue> items = values.get(m.name());
                reportDocumentScores(c.name(), m.name(), pipeline.name(), docs, items);
                double value = m.aggregation().apply(items);
                if (Double.isNaN(value) || Double.isInfinite(value)) {
                    throw EvomergeException.runtime("task " + c.name() + ": metric " + m.name() + " (filter "
                            + pipeline.name() + ") came out " + value + " over " + items.size()
                            + " documents, so it is not reported; check the model's log-likelihoods", null);
                }
                OptionalDouble stderr = Stderr.of(m.aggregation(), items, options.bootstrapIters());
                metrics.add(new MetricResult(m.name(), pipeline.name(), value, stderr, m.higherIsBetter()));
            }
        }
        String alias = c.alias() != null ? c.alias() : c.name();
        return new TaskResult(c.name(), alias, c.reportedVersion(), c.numFewshot(), t.allDocs.size(), t.docs.size(),
                metrics, c.raw(), samples);
    }

    /** Hands the listener one metric's per-document values when every one is a plain number. */
    private void reportDocumentScores(String task, String metric, String filter, List<DocInstance> docs,
                                      List<SampleValue> items) {
        Map<Integer, Double> byDocument = new LinkedHashMap<>();
        for (int i = 0; i < items.size(); i++) {
            if (!(items.get(i) instanceof SampleValue.Scalar s)) {
                return;
            }
            byDocument.put(docs.get(i).index(), s.value());
        }
        listener.documentScores(DocumentScores.of(task, metric, filter, byDocument));
    }

    /** One document's metric values under one filter, with what the sample log shows. */
    private record DocScore(Map<String, SampleValue> values, List<Object> responses, List<Object> filtered) {
    }

    private DocScore scoreDoc(PreparedTask t, DocInstance d, FilterPipeline pipeline, Requests requests) {
        TaskConfig c = t.config;
        switch (c.outputType()) {
            case MULTIPLE_CHOICE, LOGLIKELIHOOD -> {
                List<LoglikelihoodAnswer> answers = requests.llAnswers.subList(d.first(), d.first() + d.count());
                List<Object> resps = new ArrayList<>();
                List<Object> filtered = new ArrayList<>();
                for (LoglikelihoodAnswer a : answers) {
                    filtered.add(List.of(a.logprob(), a.greedy()));
                    resps.add(List.of(List.of(a.logprob(), a.greedy())));
                }
                Map<String, SampleValue> values;
                if (t.processResults != null) {
                    values = t.processResults.apply(d.doc(), answers);
                } else if (c.outputType() == OutputType.LOGLIKELIHOOD) {
                    values = new LinkedHashMap<>();
                    values.put("perplexity", new SampleValue.Scalar(answers.getFirst().logprob()));
                    values.put("acc", new SampleValue.Scalar(answers.getFirst().greedy() ? 1 : 0));
                } else {
                    values = ChoiceScoring.score(answers.subList(0, d.conditional()),
                            answers.subList(d.conditional(), answers.size()), d.choices(), d.gold());
                }
                return new DocScore(values, resps, filtered);
            }
            case LOGLIKELIHOOD_ROLLING -> {
                double ll = requests.rollingAnswers.get(d.first());
                String text = (String) d.target();
                double words = WHITESPACE.split(text, -1).length;
                double bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
                Map<String, SampleValue> values = new LinkedHashMap<>();
                values.put("word_perplexity", new SampleValue.Weighted(ll, words));
                values.put("byte_perplexity", new SampleValue.Weighted(ll, bytes));
                values.put("bits_per_byte", new SampleValue.Weighted(ll, bytes));
                return new DocScore(values, List.of(List.of(ll)), List.of(ll));
            }
            case GENERATE_UNTIL -> {
                List<String> outputs = requests.generated.subList(d.first(), d.first() + d.count());
                Object result = pipeline.apply(outputs);
                if (result instanceof List<?> l) {
                    // A pipeline without take_first leaves a list; score its first answer.
                    result = l.isEmpty() ? "" : l.getFirst();
                }
                Object gold = d.target();
                List<String> refs = new ArrayList<>();
                if (gold instanceof List<?> list) {
                    list.forEach(g -> refs.add(PythonValues.str(g)));
                } else {
                    refs.add(PythonValues.str(gold));
                }
                Map<String, SampleValue> values = new LinkedHashMap<>();
                for (PreparedTask.PlannedMetric m : t.metrics) {
                    if (m.exactMatch() != null) {
                        values.put(m.name(), new SampleValue.Scalar(m.exactMatch().score(PythonValues.str(result), refs)));
                    }
                }
                return new DocScore(values, List.of(new ArrayList<Object>(outputs)), List.of(result));
            }
            default -> throw new IllegalStateException();
        }
    }
}
