package dev.evomerge.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.evolve.llm.LlmExchange;
import dev.evomerge.evolve.llm.LlmPrice;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.GenerationStats;
import dev.evomerge.evolve.run.MetricKey;
import dev.evomerge.evolve.store.RunMeta;
import dev.evomerge.evolve.store.RunStore;
import dev.evomerge.evolve.store.StoredLayout;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the dashboard and the report show of one run, computed from run.db: per-generation fitness statistics,
 * per-task metric curves, the best candidate, the LLM's thoughts, the configuration; for a multi-objective run also its
 * objective vectors, front and hypervolume ({@code pareto}, null for a single-objective run).
 */
public record RunSummary(String name, List<Evaluation> candidates, List<LlmExchange> exchanges,
                         Map<String, String> meta, StoredLayout layout, FrontView pareto) {

    static final ObjectMapper JSON = new ObjectMapper();

    public static RunSummary read(String name, RunStore store) {
        Map<String, String> meta = new TreeMap<>();
        for (String key : List.of(RunMeta.CONFIG_YAML, RunMeta.OPTIONS, RunMeta.TASKS, RunMeta.OPTIMIZER,
                RunMeta.STATUS, RunMeta.ERROR, dev.evomerge.evolve.dataflow.SearchPhases.KEY)) {
            store.meta(key).ifPresent(v -> meta.put(key, v));
        }
        return new RunSummary(name, store.allCandidates(), store.exchanges(), meta, store.layout().orElse(null),
                FrontView.read(store).orElse(null));
    }

    /** Per-generation statistics, in generation order. */
    public List<GenerationStats> generations() {
        return GenerationStats.ofRun(candidates);
    }

    /** Metric key -> per-generation mean over candidates that report it, keys sorted by their text. */
    public Map<MetricKey, Map<Integer, Double>> taskMetricMeans() {
        TreeSet<MetricKey> keys = new TreeSet<>();
        candidates.forEach(c -> keys.addAll(c.metrics().keySet()));
        Map<MetricKey, Map<Integer, Double>> out = new TreeMap<>();
        for (MetricKey k : keys) {
            Map<Integer, double[]> acc = new TreeMap<>();
            for (Evaluation c : candidates) {
                Double v = c.metrics().get(k);
                if (v != null && Double.isFinite(v)) {
                    double[] a = acc.computeIfAbsent(c.candidate().generation(), g -> new double[2]);
                    a[0] += v;
                    a[1]++;
                }
            }
            Map<Integer, Double> means = new TreeMap<>();
            acc.forEach((g, a) -> means.put(g, a[0] / a[1]));
            out.put(k, means);
        }
        return out;
    }

    /** The best candidate (earliest on ties), if any produced a score. */
    public Optional<Evaluation> best() {
        return Optional.ofNullable(Evaluation.best(candidates));
    }

    static JsonNode parse(String json) {
        if (json == null) {
            return null;
        }
        try {
            return JSON.readTree(json);
        } catch (Exception e) {
            return JSON.getNodeFactory().textNode(json);
        }
    }

    /** The summary as the dashboard's JSON (numbers that are not finite become null). */
    public ObjectNode toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("name", name);
        root.put("status", meta.getOrDefault(RunMeta.STATUS, "unknown"));
        root.put("optimizer", meta.getOrDefault(RunMeta.OPTIMIZER, ""));
        root.put("error", meta.get(RunMeta.ERROR));
        root.put("config_yaml", meta.get(RunMeta.CONFIG_YAML));
        JsonNode options = parse(meta.get(RunMeta.OPTIONS));
        if (options instanceof com.fasterxml.jackson.databind.node.ObjectNode o && o.path("llmBaseUrl").isTextual()) {
            // runs stored before URLs were masked on write still hold the credentials: mask them on the way out too
            o.put("llmBaseUrl", dev.evomerge.evolve.llm.Secrets.redactUrl(o.path("llmBaseUrl").asText()));
        }
        root.set("options", options);
        root.set("layout", layout == null ? null : JSON.valueToTree(layout));
        root.set("tasks", parse(meta.get(RunMeta.TASKS)));
        root.put("candidate_count", candidates.size());
        ArrayNode gens = root.putArray("generations");
        for (GenerationStats g : generations()) {
            ObjectNode n = gens.addObject();
            n.put("generation", g.generation());
            n.put("candidates", g.candidates());
            n.put("failed", g.failed());
            num(n, "best", g.best());
            num(n, "mean", g.mean());
            num(n, "best_so_far", g.bestSoFar());
        }
        ObjectNode metrics = root.putObject("task_metrics");
        taskMetricMeans().forEach((k, byGen) -> {
            ArrayNode arr = metrics.putArray(k.text());
            byGen.forEach((g, v) -> {
                ObjectNode p = arr.addObject();
                p.put("generation", g);
                num(p, "mean", v);
            });
        });
        best().ifPresent(b -> root.set("best", candidateJson(b)));
        if (pareto != null) {
            root.set("pareto", pareto.toJson(candidates));
        }
        if (!exchanges.isEmpty()) {
            llmCounts().writeTo(root.putObject("llm"), llmPrice());
        }
        ArrayNode thoughts = root.putArray("thoughts");
        for (LlmExchange x : exchanges) {
            ObjectNode t = thoughts.addObject();
            t.put("generation", x.generation());
            t.put("attempt", x.attempt());
            t.put("kind", x.kind());
            if (x.httpStatus() != null) {
                t.put("http_status", x.httpStatus());
            }
            t.put("thought", x.thought());
            t.put("error", x.error());
            t.put("fallback", x.fallback());
            t.put("latency_ms", x.latencyMillis());
            if (x.usage() != null) {
                t.put("prompt_tokens", x.usage().promptTokens()).put("completion_tokens", x.usage().completionTokens())
                        .put("tokens_estimated", x.usage().estimated());
            }
        }
        return root;
    }

    /** The run's {@code --llm-price-per-mtok} from its stored options, or null when it had none (or an unreadable one). */
    public LlmPrice llmPrice() {
        JsonNode p = parse(meta.get(RunMeta.OPTIONS)).path("llmPricePerMtok");
        try {
            return p.isTextual() ? LlmPrice.parse(p.asText()) : null;
        } catch (RuntimeException e) {
            return null; // the run refused it at start; nothing was priced
        }
    }

    /** The LLM tokens and their cost as one phrase: "tokens 5300 in + 400 out, cost ~0.0093". */
    public String llmTokensText() {
        LlmExchange.Counts c = llmCounts();
        LlmPrice price = llmPrice();
        return c.tokensText() + (price == null ? "" : ", " + price.costText(c.promptTokens(), c.completionTokens()));
    }

    /** How many LLM requests, retries, corrections, failed requests and fallbacks the run had. */
    public LlmExchange.Counts llmCounts() {
        return LlmExchange.Counts.of(exchanges);
    }

    public ArrayNode candidatesJson() {
        ArrayNode arr = JSON.createArrayNode();
        // a data-flow or PS+DFS run labels each candidate with its search (ps or dfs); other runs have no label
        var phases = dev.evomerge.evolve.dataflow.SearchPhases.read(meta.get(dev.evomerge.evolve.dataflow.SearchPhases.KEY));
        candidates.forEach(c -> {
            ObjectNode n = candidateJson(c);
            String phase = dev.evomerge.evolve.dataflow.SearchPhases.phaseOf(phases, c.candidate().generation());
            if (phase != null) {
                n.put("phase", phase);
            }
            arr.add(n);
        });
        return arr;
    }

    static ObjectNode candidateJson(Evaluation e) {
        ObjectNode n = JSON.createObjectNode();
        n.put("generation", e.candidate().generation());
        n.put("index", e.candidate().index());
        num(n, "score", e.score());
        n.put("status", e.ok() ? "ok" : "failed");
        n.put("error", e.error());
        n.put("merge_seconds", e.mergeSeconds());
        n.put("eval_seconds", e.evalSeconds());
        n.put("worker", e.worker());
        n.put("merge_yaml", e.candidate().mergeYaml());
        ArrayNode genes = n.putArray("genes");
        for (double g : e.candidate().genes()) {
            genes.add(g);
        }
        ObjectNode m = n.putObject("metrics");
        MetricKey.toText(e.metrics()).forEach((k, v) -> num(m, k, v));
        return n;
    }

    private static void num(ObjectNode n, String key, double v) {
        if (Double.isFinite(v)) {
            n.put(key, v);
        } else {
            n.putNull(key);
        }
    }
}
