package dev.evomerge.eval.task;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.UnknownKeys;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Turns a resolved task YAML into a {@link TaskConfig}: applies lm-eval's defaults, checks types with one sentence
 * naming the file, line and key, and warns about keys it does not know (they are ignored).
 */
public final class TaskConfigParser {

    /** Keys evomerge reads. */
    private static final Set<String> KNOWN = Set.of("task", "task_alias", "tag", "group", "group_alias",
            "dataset_path", "dataset_name", "dataset_kwargs", "training_split", "validation_split", "test_split",
            "fewshot_split", "process_docs", "doc_to_text", "doc_to_target", "doc_to_choice", "process_results",
            "description", "target_delimiter", "fewshot_delimiter", "gen_prefix", "num_fewshot", "fewshot_config",
            "metric_list", "output_type", "generation_kwargs", "repeats", "filter_list", "metadata");
    /** lm-eval keys accepted and deliberately ignored (documented in docs/compatibility.md). */
    private static final Set<String> IGNORED = Set.of("should_decontaminate", "doc_to_decontamination_query",
            "unsafe_code", "dataset_kwargs_trust_remote_code");
    /** lm-eval keys evomerge cannot honour: using them is an error, not a silent difference. */
    private static final Map<String, String> UNSUPPORTED = Map.of(
            "doc_to_image", "multimodal tasks are not supported",
            "doc_to_audio", "multimodal tasks are not supported",
            "use_prompt", "promptsource prompts are not supported; write doc_to_text/doc_to_target templates instead",
            "custom_dataset", "custom dataset callables need Python; place the data as local files instead",
            "class", "Python task classes are not supported; only YAML-defined tasks run");
    private static final Set<String> FEWSHOT_KNOWN = Set.of("sampler", "samples", "doc_to_text", "doc_to_target",
            "doc_to_choice", "split");

    private TaskConfigParser() {
    }

    /**
     * Parses a task.
     *
     * @param warnings receives one sentence per ignored unknown key
     */
    public static TaskConfig parse(ResolvedYaml yaml, Consumer<String> warnings) {
        Map<String, Object> v = yaml.values();
        Map<String, String> where = yaml.where();
        Reader r = new Reader(yaml);
        String name = r.string("task", null);
        if (name == null) {
            throw EvomergeException.usage(yaml.file().describe() + ": a task file needs a 'task' key naming it");
        }
        UnknownKeys unknown = new UnknownKeys("", warnings);
        for (String key : v.keySet()) {
            if (UNSUPPORTED.containsKey(key) && v.get(key) != null) {
                throw EvomergeException.usage(r.at(key) + ": task " + name + " uses '" + key + "': "
                        + UNSUPPORTED.get(key) + ".");
            }
            if (!KNOWN.contains(key) && !IGNORED.contains(key) && !UNSUPPORTED.containsKey(key)) {
                unknown.warn(r.at(key) + ": task " + name, key);
            }
        }
        List<String> tags = new ArrayList<>(r.stringList("tag"));
        if (v.get("group") != null) {
            // Old-style 'group' on a task is a tag in current lm-eval.
            tags.addAll(r.stringList("group"));
        }
        String outputName = r.string("output_type", "generate_until");
        OutputType outputType = OutputType.fromYaml(outputName).orElseThrow(() -> EvomergeException.usage(
                r.at("output_type") + ": task " + name + " has output_type '" + outputName
                        + "'; use multiple_choice, loglikelihood, loglikelihood_rolling or generate_until"));
        String fewshotDelimiter = r.string("fewshot_delimiter", "\n\n");
        int numFewshot = r.integer("num_fewshot", 0);
        if (numFewshot < 0) {
            throw EvomergeException.usage(r.at("num_fewshot") + ": num_fewshot must be 0 or more, got " + numFewshot);
        }
        int repeats = r.integer("repeats", 1);
        if (repeats < 1) {
            throw EvomergeException.usage(r.at("repeats") + ": repeats must be 1 or more, got " + repeats);
        }

        Map<String, Object> fewshot = r.map("fewshot_config");
        String sampler = "default";
        Map<String, Object> fewshotOverrides = new LinkedHashMap<>();
        List<Map<String, Object>> fewshotSamples = null;
        for (Map.Entry<String, Object> e : fewshot.entrySet()) {
            switch (e.getKey()) {
                case "sampler" -> {
                    sampler = String.valueOf(e.getValue());
                    if (!sampler.equals("default") && !sampler.equals("first_n")) {
                        throw EvomergeException.usage(r.at("fewshot_config") + ": task " + name
                                + " has fewshot_config.sampler '" + sampler + "'; use default (random) or first_n");
                    }
                }
                case "samples" -> fewshotSamples = r.samples(e.getValue());
                case "doc_to_text", "doc_to_target", "doc_to_choice" -> fewshotOverrides.put(e.getKey(), e.getValue());
                case "split" -> {
                    // newer lm-eval spelling of fewshot_split
                }
                default -> unknown.warn(r.at("fewshot_config") + ": task " + name, "fewshot_config." + e.getKey());
            }
        }
        String fewshotSplit = r.string("fewshot_split", fewshot.get("split") instanceof String s ? s : null);

        List<MetricSpec> metrics = parseMetrics(r, name, outputType);
        List<FilterSpec> filters = parseFilters(r, name);
        GenerationKwargs gen = parseGeneration(r, fewshotDelimiter, outputType, name, warnings);

        Object version = r.map("metadata").get("version");
        Map<String, Object> datasetKwargs = r.map("dataset_kwargs");

        Map<String, Object> raw = new LinkedHashMap<>(v);
        raw.putIfAbsent("output_type", outputType.yamlName());
        raw.putIfAbsent("target_delimiter", " ");
        raw.putIfAbsent("fewshot_delimiter", "\n\n");
        raw.putIfAbsent("num_fewshot", numFewshot);
        raw.putIfAbsent("repeats", repeats);
        raw.putIfAbsent("description", "");
        if (!v.containsKey("metric_list")) {
            List<Map<String, Object>> list = new ArrayList<>();
            for (MetricSpec m : metrics) {
                list.add(Map.of("metric", m.name()));
            }
            raw.put("metric_list", list);
        }
        if (outputType == OutputType.GENERATE_UNTIL) {
            raw.put("generation_kwargs", gen.raw());
        }
        return new TaskConfig(name, r.string("task_alias", null), tags, r.string("dataset_path", null),
                r.string("dataset_name", null), datasetKwargs, r.string("training_split", null),
                r.string("validation_split", null), r.string("test_split", null), fewshotSplit,
                r.function("process_docs"), outputType, r.docField("doc_to_text"), r.docField("doc_to_target"),
                r.docField("doc_to_choice"), r.function("process_results"), r.string("description", ""),
                r.string("target_delimiter", " "), fewshotDelimiter, r.string("gen_prefix", null), numFewshot,
                sampler, fewshotOverrides, fewshotSamples, metrics, filters, gen, repeats, version, yaml.file(),
                where, raw);
    }

    private static List<MetricSpec> parseMetrics(Reader r, String task, OutputType outputType) {
        Object list = r.values.get("metric_list");
        List<MetricSpec> out = new ArrayList<>();
        if (list == null) {
            for (String m : outputType.defaultMetrics()) {
                out.add(new MetricSpec(m, null, null, Map.of()));
            }
            return out;
        }
        if (!(list instanceof List<?> entries)) {
            throw EvomergeException.usage(r.at("metric_list") + ": task " + task
                    + ": metric_list must be a list of {metric: name, ...} entries");
        }
        for (Object entry : entries) {
            if (!(entry instanceof Map<?, ?> m) || !(m.get("metric") instanceof String || m.get("metric") instanceof FunctionRef)) {
                throw EvomergeException.usage(r.at("metric_list") + ": task " + task
                        + ": each metric_list entry needs 'metric: <name>', got " + entry);
            }
            if (m.get("metric") instanceof FunctionRef f) {
                throw EvomergeException.usage(r.at("metric_list") + ": task " + task + " uses a metric defined by "
                        + f + "; evomerge runs no Python, so use a built-in metric (acc, acc_norm, exact_match, ...)");
            }
            Map<String, Object> kwargs = new LinkedHashMap<>();
            Object aggregation = null;
            Boolean hib = null;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                String k = String.valueOf(e.getKey());
                switch (k) {
                    case "metric" -> {
                    }
                    case "aggregation" -> aggregation = e.getValue();
                    case "higher_is_better" -> {
                        if (!(e.getValue() instanceof Boolean b)) {
                            throw EvomergeException.usage(r.at("metric_list") + ": task " + task
                                    + ": higher_is_better must be true or false, got " + e.getValue());
                        }
                        hib = b;
                    }
                    default -> kwargs.put(k, e.getValue());
                }
            }
            out.add(new MetricSpec((String) m.get("metric"), aggregation, hib, kwargs));
        }
        if (out.isEmpty()) {
            throw EvomergeException.usage(r.at("metric_list") + ": task " + task + " has an empty metric_list");
        }
        return out;
    }

    private static List<FilterSpec> parseFilters(Reader r, String task) {
        Object list = r.values.get("filter_list");
        if (list == null) {
            return List.of(FilterSpec.none());
        }
        if (!(list instanceof List<?> entries) || entries.isEmpty()) {
            throw EvomergeException.usage(r.at("filter_list") + ": task " + task
                    + ": filter_list must be a non-empty list of {name, filter: [{function: ...}]} entries");
        }
        List<FilterSpec> out = new ArrayList<>();
        for (Object entry : entries) {
            if (!(entry instanceof Map<?, ?> m) || !(m.get("name") instanceof String name)
                    || !(m.get("filter") instanceof List<?> steps)) {
                throw EvomergeException.usage(r.at("filter_list") + ": task " + task
                        + ": each filter_list entry needs 'name' and a 'filter' list, got " + entry);
            }
            List<FilterSpec.Step> parsed = new ArrayList<>();
            for (Object step : steps) {
                if (!(step instanceof Map<?, ?> s) || !(s.get("function") instanceof String fn)) {
                    throw EvomergeException.usage(r.at("filter_list") + ": task " + task + ": filter '" + name
                            + "' has a step without 'function': " + step);
                }
                Map<String, Object> args = new LinkedHashMap<>();
                s.forEach((k, val) -> {
                    if (!"function".equals(k)) {
                        args.put(String.valueOf(k), val);
                    }
                });
                parsed.add(new FilterSpec.Step(fn, args));
            }
            out.add(new FilterSpec(name, parsed));
        }
        return out;
    }

    private static GenerationKwargs parseGeneration(Reader r, String fewshotDelimiter, OutputType type, String task,
                                                    Consumer<String> warnings) {
        Map<String, Object> g = r.map("generation_kwargs");
        Map<String, Object> raw = new LinkedHashMap<>(g);
        List<String> until;
        Object u = g.get("until");
        if (u == null) {
            until = List.of(fewshotDelimiter);
            raw.put("until", until);
            if (!g.isEmpty() && type == OutputType.GENERATE_UNTIL) {
                warnings.accept(r.at("generation_kwargs") + ": task " + task
                        + ": no 'until' in generation_kwargs; stopping at the fewshot_delimiter as lm-eval does");
            }
        } else if (u instanceof String s) {
            until = List.of(s);
        } else if (u instanceof List<?> list && list.stream().allMatch(String.class::isInstance)) {
            until = list.stream().map(String.class::cast).toList();
        } else {
            throw EvomergeException.usage(r.at("generation_kwargs") + ": task " + task
                    + ": generation_kwargs.until must be a string or a list of strings, got " + u);
        }
        int maxGen = GenerationKwargs.DEFAULT_MAX_GEN_TOKS;
        Object mg = g.containsKey("max_gen_toks") ? g.get("max_gen_toks") : g.get("max_new_tokens");
        if (mg != null) {
            if (!(mg instanceof Number n) || n.longValue() < 1) {
                throw EvomergeException.usage(r.at("generation_kwargs") + ": task " + task
                        + ": max_gen_toks must be a positive integer, got " + mg);
            }
            maxGen = n.intValue();
        }
        boolean doSample = g.get("do_sample") instanceof Boolean b && b;
        double temperature = g.get("temperature") instanceof Number n ? n.doubleValue() : (doSample ? 1.0 : 0.0);
        double topP = g.get("top_p") instanceof Number n ? n.doubleValue() : 1.0;
        int topK = g.get("top_k") instanceof Number n ? n.intValue() : 0;
        if (!g.containsKey("do_sample")) {
            raw.put("do_sample", false);
        }
        return new GenerationKwargs(until, maxGen, doSample, temperature, topP, topK, raw);
    }

    /** Typed access to the resolved keys with messages naming file, line and key. */
    private static final class Reader {
        final Map<String, Object> values;
        final ResolvedYaml yaml;

        Reader(ResolvedYaml yaml) {
            this.yaml = yaml;
            this.values = yaml.values();
        }

        String at(String key) {
            return yaml.where().getOrDefault(key, yaml.file().describe());
        }

        String string(String key, String dflt) {
            Object o = values.get(key);
            if (o == null) {
                return dflt;
            }
            if (o instanceof String s) {
                return s;
            }
            if (o instanceof Number || o instanceof Boolean) {
                return String.valueOf(o);
            }
            throw EvomergeException.usage(at(key) + ": '" + key + "' must be a string, got " + o);
        }

        int integer(String key, int dflt) {
            Object o = values.get(key);
            if (o == null) {
                return dflt;
            }
            if (o instanceof Long || o instanceof Integer) {
                return ((Number) o).intValue();
            }
            throw EvomergeException.usage(at(key) + ": '" + key + "' must be an integer, got " + o);
        }

        List<String> stringList(String key) {
            Object o = values.get(key);
            if (o == null) {
                return List.of();
            }
            if (o instanceof String s) {
                return List.of(s);
            }
            if (o instanceof List<?> list && list.stream().allMatch(String.class::isInstance)) {
                return list.stream().map(String.class::cast).toList();
            }
            throw EvomergeException.usage(at(key) + ": '" + key + "' must be a name or a list of names, got " + o);
        }

        Map<String, Object> map(String key) {
            Object o = values.get(key);
            if (o == null) {
                return Map.of();
            }
            if (o instanceof Map<?, ?> m) {
                Map<String, Object> out = new LinkedHashMap<>();
                m.forEach((k, val) -> out.put(String.valueOf(k), val));
                return out;
            }
            throw EvomergeException.usage(at(key) + ": '" + key + "' must be a mapping, got " + o);
        }

        FunctionRef function(String key) {
            Object o = values.get(key);
            if (o == null) {
                return null;
            }
            if (o instanceof FunctionRef f) {
                return f;
            }
            throw EvomergeException.usage(at(key) + ": '" + key + "' must be a !function reference, got " + o);
        }

        Object docField(String key) {
            Object o = values.get(key);
            if (o == null || o instanceof String || o instanceof Long || o instanceof Integer || o instanceof List
                    || o instanceof Map || o instanceof FunctionRef) {
                return o instanceof Integer i ? Long.valueOf(i) : o;
            }
            throw EvomergeException.usage(at(key) + ": '" + key
                    + "' must be a column name, a Jinja template, a list, an integer or a !function, got " + o);
        }

        List<Map<String, Object>> samples(Object o) {
            if (o instanceof List<?> list && list.stream().allMatch(Map.class::isInstance)) {
                List<Map<String, Object>> out = new ArrayList<>();
                for (Object item : list) {
                    Map<String, Object> doc = new LinkedHashMap<>();
                    ((Map<?, ?>) item).forEach((k, val) -> doc.put(String.valueOf(k), val));
                    out.add(doc);
                }
                return out;
            }
            if (o instanceof FunctionRef f) {
                throw EvomergeException.usage(at("fewshot_config") + ": fewshot_config.samples uses " + f
                        + ", which needs Python; list the few-shot documents in the YAML or use fewshot_split");
            }
            throw EvomergeException.usage(at("fewshot_config") + ": fewshot_config.samples must be a list of documents");
        }
    }
}
