package dev.evomerge.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.evolve.llm.LlmExchange;
import dev.evomerge.evolve.llm.LlmPrice;
import dev.evomerge.evolve.store.CandidateRecord;
import dev.evomerge.evolve.store.RunMeta;
import dev.evomerge.evolve.store.RunStore;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the dashboard and the report show of one run, computed from run.db: per-generation fitness statistics,
 * per-task metric curves, the best candidate, the LLM's thoughts, the configuration.
 */
public record RunSummary(String name, List<CandidateRecord> candidates, List<LlmExchange> exchanges,
                         Map<String, String> meta) {

    static final ObjectMapper JSON = new ObjectMapper();

    /** Per-generation statistics over candidates that produced a score. */
    public record GenerationStats(int generation, int candidates, int failed, double best, double mean, double bestSoFar) {
    }

    public static RunSummary read(String name, RunStore store) {
        Map<String, String> meta = new TreeMap<>();
        for (String key : List.of(RunMeta.CONFIG_YAML, RunMeta.OPTIONS, RunMeta.LAYOUT, RunMeta.TASKS, RunMeta.OPTIMIZER,
                RunMeta.STATUS, RunMeta.ERROR)) {
            store.meta(key).ifPresent(v -> meta.put(key, v));
        }
        return new RunSummary(name, store.allCandidates(), store.exchanges(), meta);
    }

    public List<GenerationStats> generations() {
        Map<Integer, List<CandidateRecord>> byGen = new TreeMap<>();
        for (CandidateRecord c : candidates) {
            byGen.computeIfAbsent(c.generation(), g -> new ArrayList<>()).add(c);
        }
        List<GenerationStats> out = new ArrayList<>();
        double bestSoFar = Double.NEGATIVE_INFINITY;
        for (var e : byGen.entrySet()) {
            List<Double> ok = e.getValue().stream().map(CandidateRecord::score).filter(Double::isFinite).toList();
            double best = ok.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
            double mean = ok.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
            if (!Double.isNaN(best)) {
                bestSoFar = Math.max(bestSoFar, best);
            }
            out.add(new GenerationStats(e.getKey(), e.getValue().size(), e.getValue().size() - ok.size(), best, mean,
                    Double.isFinite(bestSoFar) ? bestSoFar : Double.NaN));
        }
        return out;
    }

    /** Metric key -> per-generation mean over candidates that report it. */
    public Map<String, Map<Integer, Double>> taskMetricMeans() {
        TreeSet<String> keys = new TreeSet<>();
        candidates.forEach(c -> keys.addAll(c.metrics().keySet()));
        Map<String, Map<Integer, Double>> out = new TreeMap<>();
        for (String k : keys) {
            Map<Integer, double[]> acc = new TreeMap<>();
            for (CandidateRecord c : candidates) {
                Double v = c.metrics().get(k);
                if (v != null && Double.isFinite(v)) {
                    double[] a = acc.computeIfAbsent(c.generation(), g -> new double[2]);
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
    public Optional<CandidateRecord> best() {
        return candidates.stream().filter(c -> Double.isFinite(c.score()))
                .max(Comparator.comparingDouble(CandidateRecord::score)
                        .thenComparing(Comparator.comparingInt(CandidateRecord::generation).reversed())
                        .thenComparing(Comparator.comparingInt(CandidateRecord::index).reversed()));
    }

    /** The stored layout JSON, or null. */
    public JsonNode layout() {
        return parse(meta.get(RunMeta.LAYOUT));
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
        root.set("layout", layout());
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
            ArrayNode arr = metrics.putArray(k);
            byGen.forEach((g, v) -> {
                ObjectNode p = arr.addObject();
                p.put("generation", g);
                num(p, "mean", v);
            });
        });
        best().ifPresent(b -> root.set("best", candidateJson(b)));
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
        candidates.forEach(c -> arr.add(candidateJson(c)));
        return arr;
    }

    static ObjectNode candidateJson(CandidateRecord c) {
        ObjectNode n = JSON.createObjectNode();
        n.put("generation", c.generation());
        n.put("index", c.index());
        num(n, "score", c.score());
        n.put("status", c.status().name().toLowerCase(java.util.Locale.ROOT));
        n.put("error", c.error());
        n.put("merge_seconds", c.mergeSeconds());
        n.put("eval_seconds", c.evalSeconds());
        n.put("worker", c.worker());
        n.put("merge_yaml", c.mergeYaml());
        ArrayNode genes = n.putArray("genes");
        for (double g : c.genes()) {
            genes.add(g);
        }
        ObjectNode m = n.putObject("metrics");
        c.metrics().forEach((k, v) -> num(m, k, v));
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
