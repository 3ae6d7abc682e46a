package dev.evomerge.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.core.io.PythonJson;
import dev.evomerge.eval.python.PythonValues;
import dev.evomerge.eval.task.FunctionRef;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The results file in lm-evaluation-harness's layout: {@code results[task]["acc,none"]}, {@code "acc_stderr,none"}
 * ({@code "N/A"} when not computed), {@code groups}, {@code group_subtasks}, {@code configs}, {@code versions},
 * {@code n-shot}, {@code higher_is_better}, {@code n-samples}, the run's {@code config} and the other top-level keys of
 * lm-eval 0.4.13 whose meaning applies here (tokenizer tokens, {@code max_length}, {@code task_hashes}, ...).
 */
public final class ResultsJson {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ResultsJson() {
    }

    /**
     * The whole document.
     *
     * @param dateSeconds the run's time, seconds since the epoch (lm-eval's {@code date})
     */
    public static ObjectNode toJson(EvaluationResults r, double dateSeconds) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode results = root.putObject("results");
        for (TaskResult t : r.tasks()) {
            ObjectNode n = results.putObject(t.name());
            n.put("name", t.name());
            n.put("alias", t.alias());
            // lm-eval 0.4.13: the number of documents the metrics were computed over
            n.put("sample_len", t.nEffective());
            putMetrics(n, t.metrics());
        }
        for (GroupResult g : r.groups()) {
            putGroup(results.putObject(g.name()), g, r);
        }
        // lm-eval lists under "groups" only the groups that aggregate metrics
        List<GroupResult> aggregating = r.groups().stream().filter(g -> !g.metrics().isEmpty()).toList();
        if (!aggregating.isEmpty()) {
            ObjectNode groups = root.putObject("groups");
            for (GroupResult g : aggregating) {
                putGroup(groups.putObject(g.name()), g, r);
            }
        }
        // as lm-eval 0.4.13: group_subtasks lists groups only; configs, versions, n-shot and higher_is_better are
        // sorted by name, and a group gets its members' n-shot (when they agree) and higher_is_better
        ObjectNode subtasks = root.putObject("group_subtasks");
        for (GroupResult g : r.groups()) {
            subtasks.set(g.name(), JSON.valueToTree(g.subtasks()));
        }
        java.util.TreeMap<String, Object> configs = new java.util.TreeMap<>();
        java.util.TreeMap<String, Object> versions = new java.util.TreeMap<>();
        java.util.TreeMap<String, Integer> nShot = new java.util.TreeMap<>();
        Map<String, Map<String, Boolean>> hib = new LinkedHashMap<>();
        for (TaskResult t : r.tasks()) {
            configs.put(t.name(), plain(t.config()));
            versions.put(t.name(), t.version());
            nShot.put(t.name(), t.nShot());
            Map<String, Boolean> h = new LinkedHashMap<>();
            t.metrics().forEach(m -> h.putIfAbsent(m.metric(), m.higherIsBetter()));
            hib.put(t.name(), h);
        }
        for (GroupResult g : r.groups()) {
            // lm-eval's Group.version: str(metadata.version), "N/A" without one
            versions.put(g.name(), g.version() == null ? "N/A" : PythonValues.str(g.version()));
            java.util.Set<Integer> shots = new java.util.HashSet<>();
            Map<String, Boolean> h = new LinkedHashMap<>();
            for (String child : g.subtasks()) {
                if (nShot.containsKey(child)) {
                    shots.add(nShot.get(child));
                }
                hib.getOrDefault(child, Map.of()).forEach((m, v) -> {
                    if (!h.containsKey(m)) {
                        h.put(m, v);
                    } else if (h.get(m) != null && !h.get(m).equals(v)) {
                        h.put(m, null); // members disagree: lm-eval writes None
                    }
                });
            }
            if (shots.size() == 1) {
                nShot.put(g.name(), shots.iterator().next());
            }
            if (!h.isEmpty()) {
                hib.put(g.name(), h);
            }
        }
        root.set("configs", JSON.valueToTree(configs));
        root.set("versions", JSON.valueToTree(versions));
        root.set("n-shot", JSON.valueToTree(nShot));
        root.set("higher_is_better", JSON.valueToTree(new java.util.TreeMap<>(hib)));
        ObjectNode nSamples = root.putObject("n-samples");
        for (TaskResult t : r.tasks()) {
            ObjectNode n = nSamples.putObject(t.name());
            n.put("original", t.nOriginal());
            n.put("effective", t.nEffective());
        }
        ObjectNode config = root.putObject("config");
        Map<String, Object> info = r.modelInfo();
        config.set("model", JSON.valueToTree(info.getOrDefault("model", r.model())));
        config.set("model_args", JSON.valueToTree(info.getOrDefault("model_args", "")));
        config.set("batch_size", JSON.valueToTree(info.get("batch_size")));
        if (r.options().limit().isPresent()) {
            double l = r.options().limit().getAsDouble();
            if (l >= 1) {
                config.put("limit", (long) l);
            } else {
                config.put("limit", l);
            }
        } else {
            config.putNull("limit");
        }
        config.putArray("batch_sizes");
        config.putNull("use_cache");
        config.put("bootstrap_iters", r.options().bootstrapIters());
        config.putNull("gen_kwargs");
        config.put("random_seed", 0);
        config.put("numpy_seed", 1234);
        config.put("torch_seed", 1234);
        config.put("fewshot_seed", r.options().fewshotSeed());
        config.put("apply_chat_template", r.options().applyChatTemplate());
        info.forEach((k, v) -> {
            if (!config.has(k) && !TOP_LEVEL.contains(k)) {
                config.set(k, JSON.valueToTree(v));
            }
        });
        root.putNull("git_hash");
        root.put("date", dateSeconds);
        // the tokenizer keys lm-eval's add_tokenizer_info writes, where the backend knows them
        for (String k : TOP_LEVEL) {
            if (info.containsKey(k)) {
                root.set(k, JSON.valueToTree(info.get(k)));
            }
        }
        ObjectNode hashes = root.putObject("task_hashes");
        if (r.options().logSamples()) {
            for (TaskResult t : r.tasks()) {
                hashes.put(t.name(), taskHash(t));
            }
        }
        root.set("model_source", JSON.valueToTree(info.getOrDefault("model", r.model())));
        root.put("model_name", r.model());
        root.put("model_name_sanitized", sanitize(r.model()));
        root.putNull("system_instruction");
        root.putNull("system_instruction_sha");
        root.putNull("fewshot_as_multiturn");
        root.putNull("chat_template");
        root.putNull("chat_template_sha");
        root.put("total_evaluation_time_seconds", String.valueOf(r.seconds()));
        return root;
    }

    /** Keys of the backend's description that lm-eval writes at the top level rather than in {@code config}. */
    private static final List<String> TOP_LEVEL = List.of("tokenizer_pad_token", "tokenizer_eos_token",
            "tokenizer_bos_token", "eot_token_id", "max_length");

    private static void putGroup(ObjectNode n, GroupResult g, EvaluationResults r) {
        n.put("alias", g.alias());
        n.put("name", g.name());
        if (!g.metrics().isEmpty()) {
            n.put("sample_len", g.size());
            putMetrics(n, g.metrics());
            // per metric: the documents of the leaf tasks that have it
            ObjectNode counts = n.putObject("sample_count");
            List<TaskResult> leaves = leaves(g, r);
            for (MetricResult m : g.metrics()) {
                counts.put(m.key(), leaves.stream().filter(t -> t.metric(m.metric(), m.filter()).isPresent())
                        .mapToInt(TaskResult::nEffective).sum());
            }
        }
    }

    /** The tasks under a group, through nested groups. */
    private static List<TaskResult> leaves(GroupResult g, EvaluationResults r) {
        List<TaskResult> out = new ArrayList<>();
        for (String child : g.subtasks()) {
            r.task(child).ifPresent(out::add);
            r.groups().stream().filter(x -> x.name().equals(child)).findFirst().ifPresent(x -> out.addAll(leaves(x, r)));
        }
        return out;
    }

    /** lm-eval's task hash: sha256 of the concatenated doc, prompt and target hashes of the logged samples. */
    static String taskHash(TaskResult t) {
        StringBuilder all = new StringBuilder();
        for (Map<String, Object> s : t.samples()) {
            all.append(s.get("doc_hash")).append(s.get("prompt_hash")).append(s.get("target_hash"));
        }
        return SampleLog.sha256(all.toString());
    }

    /** The document as lm-eval writes it: Python's json.dumps(indent=2, ensure_ascii=False). */
    public static String toText(EvaluationResults r, double dateSeconds) {
        return PythonJson.document(toJson(r, dateSeconds), false);
    }

    private static void putMetrics(ObjectNode n, List<MetricResult> metrics) {
        for (MetricResult m : metrics) {
            n.put(m.key(), m.value());
            String se = m.metric() + "_stderr," + m.filter();
            if (m.stderr().isPresent()) {
                n.put(se, m.stderr().getAsDouble());
            } else {
                n.put(se, "N/A");
            }
        }
    }

    /** lm-eval's model-name sanitizer for directory names. */
    public static String sanitize(String model) {
        return model.replaceAll("[\"<>:/|\\\\?*\\[\\]]+", "__");
    }

    /** Config values as JSON-ready plain values ({@code !function} references as text). */
    static Object plain(Object v) {
        return switch (v) {
            case FunctionRef f -> f.toString();
            case Map<?, ?> m -> {
                Map<String, Object> out = new LinkedHashMap<>();
                m.forEach((k, val) -> out.put(String.valueOf(k), plain(val)));
                yield out;
            }
            case List<?> l -> {
                List<Object> out = new ArrayList<>();
                l.forEach(x -> out.add(plain(x)));
                yield out;
            }
            case java.util.Date d -> d.toInstant().toString();
            case null, default -> v;
        };
    }

    /** Reads back a written results file (tests and tools). */
    public static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("not a results document: " + e.getMessage(), e);
        }
    }
}
