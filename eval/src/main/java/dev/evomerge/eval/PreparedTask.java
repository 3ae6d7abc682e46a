package dev.evomerge.eval;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.eval.data.DatasetLoader;
import dev.evomerge.eval.filter.FilterPipeline;
import dev.evomerge.eval.function.BuiltinFunctions;
import dev.evomerge.eval.metric.Aggregation;
import dev.evomerge.eval.metric.ExactMatch;
import dev.evomerge.eval.metric.MetricRegistry;
import dev.evomerge.eval.model.LanguageModel;
import dev.evomerge.eval.prompt.DocFields;
import dev.evomerge.eval.prompt.FewshotSampler;
import dev.evomerge.eval.prompt.PromptBuilder;
import dev.evomerge.eval.prompt.TemplateRenderer;
import dev.evomerge.eval.python.PythonRandom;
import dev.evomerge.eval.task.FunctionRef;
import dev.evomerge.eval.task.MetricSpec;
import dev.evomerge.eval.task.OutputType;
import dev.evomerge.eval.task.TaskConfig;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * A task made ready to run: its configuration checked (metrics, filters, functions), its documents loaded and
 * limited, and its prompt builder set up with the few-shot sampler.
 */
final class PreparedTask {

    /** A metric to compute and how to aggregate it. */
    record PlannedMetric(String name, Aggregation aggregation, boolean higherIsBetter, ExactMatch exactMatch) {
    }

    final TaskConfig config;
    final String split;
    final List<Map<String, Object>> allDocs;
    final List<Map<String, Object>> docs;
    /** Each of {@link #docs}' index among the evaluated documents (its doc_id); 0, 1, ... unless a choice thinned them. */
    final List<Integer> docIndices;
    final DocFields fields;
    final PromptBuilder prompts;
    final List<FilterPipeline> pipelines;
    final List<PlannedMetric> metrics;
    final BuiltinFunctions.ResultsFunction processResults;

    private PreparedTask(TaskConfig config, String split, List<Map<String, Object>> allDocs,
                         List<Map<String, Object>> docs, List<Integer> docIndices, DocFields fields, PromptBuilder prompts, List<FilterPipeline> pipelines,
                         List<PlannedMetric> metrics, BuiltinFunctions.ResultsFunction processResults) {
        this.config = config;
        this.split = split;
        this.allDocs = allDocs;
        this.docs = docs;
        this.docIndices = docIndices;
        this.fields = fields;
        this.prompts = prompts;
        this.pipelines = pipelines;
        this.metrics = metrics;
        this.processResults = processResults;
    }

    /** Checks everything that needs no data, so a bad task fails before any model work. */
    static void check(TaskConfig config) {
        plan(config);
        pipelines(config);
        if (config.processResults() != null) {
            processResults(config);
        }
    }

    static PreparedTask prepare(TaskConfig config, DatasetLoader data, TemplateRenderer renderer,
                                EvaluationOptions options, Optional<LanguageModel> chat, Consumer<String> warnings) {
        return prepare(config, data, renderer, options, DocumentChoice.ALL, chat, warnings);
    }

    /** The task with only the documents {@code choice} names for it evaluated. */
    static PreparedTask prepare(TaskConfig config, DatasetLoader data, TemplateRenderer renderer,
                                EvaluationOptions options, DocumentChoice choice, Optional<LanguageModel> chat,
                                Consumer<String> warnings) {
        List<PlannedMetric> metrics = plan(config);
        List<FilterPipeline> pipelines = pipelines(config);
        BuiltinFunctions.ResultsFunction results = config.processResults() == null ? null : processResults(config);
        String split = config.evalSplit().orElseThrow(() -> EvomergeException.usage(config.whereIs("task")
                + ": task " + config.name() + " has neither test_split nor validation_split to evaluate"));
        List<Map<String, Object>> docs = documents(config, data, split);
        Set<String> columns = new LinkedHashSet<>();
        for (Map<String, Object> d : docs) {
            columns.addAll(d.keySet());
        }
        DocFields fields = new DocFields(config, renderer, columns, warnings);
        FewshotSampler sampler = null;
        if (config.numFewshot() > 0) {
            sampler = sampler(config, data, options, warnings);
        }
        PromptBuilder prompts = new PromptBuilder(fields, config.numFewshot(), sampler,
                options.applyChatTemplate() ? chat : Optional.empty());
        List<Map<String, Object>> evaluated = evaluated(docs, options);
        List<Integer> indices = choice.indices(config.name(), evaluated.size());
        List<Map<String, Object>> chosen = indices.size() == evaluated.size() ? evaluated
                : indices.stream().map(evaluated::get).toList();
        return new PreparedTask(config, split, docs, chosen, indices, fields, prompts, pipelines, metrics, results);
    }

    /**
     * The documents to evaluate: the first {@code limit} in file order, or with a shuffle seed
     * {@code random.Random(seed).sample(docs, limit)}, which depends only on the seed and the documents, so every
     * candidate of an evolution (and a resumed run) is scored on the same subset.
     */
    static List<Map<String, Object>> evaluated(List<Map<String, Object>> docs, EvaluationOptions options) {
        int n = options.effectiveCount(docs.size());
        if (options.shuffleSeed().isPresent()) {
            return List.copyOf(new PythonRandom(options.shuffleSeed().getAsLong()).sample(docs, n));
        }
        return docs.subList(0, n);
    }

    private static List<Map<String, Object>> documents(TaskConfig config, DatasetLoader data, String split) {
        List<Map<String, Object>> docs = data.load(config, split);
        if (config.processDocs() != null) {
            UnaryOperator<List<Map<String, Object>>> f = BuiltinFunctions.processDocs(config.processDocs(),
                    config.whereIs("process_docs") + ": task " + config.name() + " process_docs");
            docs = List.copyOf(f.apply(docs));
        }
        if (docs.isEmpty()) {
            throw EvomergeException.usage("task " + config.name() + ": split '" + split + "' of dataset "
                    + config.datasetPath() + (config.datasetName() == null ? "" : " (" + config.datasetName() + ")")
                    + " in " + data.locate(config, split).describe() + " has no documents");
        }
        return docs;
    }

    private static FewshotSampler sampler(TaskConfig config, DatasetLoader data, EvaluationOptions options,
                                          Consumer<String> warnings) {
        List<Map<String, Object>> shots;
        String source;
        if (config.fewshotSamples() != null) {
            shots = config.fewshotSamples();
            source = "fewshot_config.samples";
        } else {
            String split = config.fewshotSplit() != null ? config.fewshotSplit()
                    : config.trainingSplit() != null ? config.trainingSplit()
                    : config.validationSplit() != null ? config.validationSplit() : config.testSplit();
            if (config.fewshotSplit() == null && config.trainingSplit() == null && config.validationSplit() == null) {
                warnings.accept("task " + config.name() + ": no training or validation split, so few-shot examples come"
                        + " from the test split (as lm-eval does; not recommended)");
            }
            shots = documents(config, data, split);
            source = "split '" + split + "'";
        }
        boolean sameSplit = Objects.equals(config.fewshotSplit(), config.testSplit());
        return new FewshotSampler(shots, config.fewshotSampler().equals("first_n"), options.fewshotSeed(), sameSplit,
                "task " + config.name() + " few-shot " + source);
    }

    private static BuiltinFunctions.ResultsFunction processResults(TaskConfig config) {
        if (config.outputType() != OutputType.MULTIPLE_CHOICE && config.outputType() != OutputType.LOGLIKELIHOOD) {
            throw EvomergeException.usage(config.whereIs("process_results") + ": task " + config.name()
                    + ": process_results functions are supported for multiple_choice and loglikelihood tasks only");
        }
        return BuiltinFunctions.processResults(config.processResults(),
                config.whereIs("process_results") + ": task " + config.name() + " process_results");
    }

    private static List<FilterPipeline> pipelines(TaskConfig config) {
        List<FilterPipeline> out = new ArrayList<>();
        Set<String> names = new LinkedHashSet<>();
        for (var spec : config.filters()) {
            FilterPipeline p = FilterPipeline.of(spec, config.whereIs("filter_list") + ": task " + config.name());
            if (!names.add(p.name())) {
                throw EvomergeException.usage(config.whereIs("filter_list") + ": task " + config.name()
                        + " has two filters named '" + p.name() + "'");
            }
            if (config.outputType() != OutputType.GENERATE_UNTIL && !p.onlySelects()) {
                throw EvomergeException.usage(config.whereIs("filter_list") + ": task " + config.name() + " is "
                        + config.outputType().yamlName() + ", whose answers are log-likelihoods; filter '" + p.name()
                        + "' can only use take_first there");
            }
            out.add(p);
        }
        return out;
    }

    private static List<PlannedMetric> plan(TaskConfig config) {
        List<PlannedMetric> out = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        String where = config.whereIs("metric_list") + ": task " + config.name();
        for (MetricSpec m : config.metrics()) {
            if (!seen.add(m.name())) {
                throw EvomergeException.usage(where + " lists metric " + m.name() + " twice");
            }
            if (config.processResults() == null && !config.outputType().supports(m.name())) {
                throw EvomergeException.usage(where + ": metric '" + m.name() + "' is not available for "
                        + config.outputType().yamlName() + " tasks; available: "
                        + String.join(", ", config.outputType().supportedMetrics()));
            }
            Aggregation agg;
            if (m.aggregation() == null) {
                agg = MetricRegistry.defaultAggregation(m.name());
            } else if (m.aggregation() instanceof FunctionRef f) {
                agg = BuiltinFunctions.aggregation(f, where + " metric " + m.name() + " aggregation");
            } else {
                String name = String.valueOf(m.aggregation());
                agg = MetricRegistry.aggregation(name).orElseThrow(() -> EvomergeException.usage(where + ": metric "
                        + m.name() + " has aggregation '" + name + "'; use mean, median, perplexity, "
                        + "weighted_perplexity, bits_per_byte, f1, matthews_corrcoef or brier_score"));
            }
            boolean hib = m.higherIsBetter() != null ? m.higherIsBetter()
                    : MetricRegistry.defaultHigherIsBetter(m.name());
            ExactMatch em = m.name().equals("exact_match") && config.outputType() == OutputType.GENERATE_UNTIL
                    ? ExactMatch.fromKwargs(m.kwargs(), where) : null;
            out.add(new PlannedMetric(m.name(), agg, hib, em));
        }
        return out;
    }
}
