package dev.evomerge.evolve.genome;

import dev.evomerge.core.EvomergeException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a flat gene vector in [0, 1]^N into a mergekit merge configuration, as LLM-Evo-Merge decodes it (discrete
 * slices per layer group, or smooth gradients; filter lists with a catch-all; slerp's top-2 with softmax t), except
 * that {@code allow_negative_weights} maps weight genes to [-1, 1] so that it has an effect. The rules:
 * docs/evolution.md, "Genes".
 */
public final class Genome {

    private static final Set<String> NEEDS_BASE = Set.of("task_arithmetic", "ties", "dare_ties", "dare_linear", "della", "breadcrumbs");
    /** Methods whose merge config gets normalize: true when the genome leaves it unset (LLM-Evo-Merge's rule). */
    private static final Set<String> NORMALIZE_BY_DEFAULT = Set.of("ties", "dare_ties", "linear");

    private final GenomeDefinition def;
    private final int numLayers;
    private final GeneLayout layout;

    /** Validates the definition against the first model's layer count (num_hidden_layers). */
    public Genome(GenomeDefinition def, int numLayers) {
        this.def = def;
        this.numLayers = numLayers;
        String method = def.mergeMethod();
        List<String> params = GeneLayout.parametersOf(method);
        if (def.models().isEmpty()) {
            throw EvomergeException.usage("genome.models is empty: list the models to merge.");
        }
        if (NEEDS_BASE.contains(method) && def.baseModel() == null) {
            throw EvomergeException.usage("genome.base_model is required for merge_method " + method + ".");
        }
        if (method.equals("slerp")) {
            if (def.smooth()) {
                throw EvomergeException.usage("genome.smooth cannot be used with merge_method slerp.");
            }
            if (!def.filters().isEmpty()) {
                throw EvomergeException.usage("genome.filters cannot be used with merge_method slerp.");
            }
            if (def.models().size() < 2) {
                throw EvomergeException.usage("merge_method slerp needs at least 2 models in genome.models.");
            }
        }
        int granularity = def.layerGranularity();
        if (granularity < 0) {
            throw EvomergeException.usage("genome.layer_granularity must be 0 or positive, got " + granularity + ".");
        }
        if (granularity > 0 && numLayers % granularity != 0) {
            throw EvomergeException.usage("genome.layer_granularity " + granularity + " must divide the layer count "
                    + numLayers + " of " + def.models().get(0) + ".");
        }
        int groups = granularity > 0 ? numLayers / granularity : 1;
        this.layout = new GeneLayout(groups, def.models().size(), def.filters().size() + 1, params);
    }

    public GeneLayout layout() {
        return layout;
    }

    public GenomeDefinition definition() {
        return def;
    }

    /** mergekit-evolve's starting point: weight 1/M and every other parameter 1 (the CMA-ES x0 without random_init). */
    public double[] initialGenes() {
        double[] x = new double[layout.size()];
        for (int g = 0; g < layout.layerGroups(); g++) {
            for (int m = 0; m < layout.models(); m++) {
                for (int s = 0; s < layout.parameterSets(); s++) {
                    for (int p = 0; p < layout.parametersPerSet(); p++) {
                        String name = layout.parameters().get(p);
                        double v = name.equals("weight") ? 1.0 / layout.models() : 1.0;
                        if (name.equals("weight") && def.allowNegativeWeights()) {
                            v = (v + 1) / 2; // the gene that decodes to weight 1/M
                        }
                        x[layout.index(g, m, s, p)] = v;
                    }
                }
            }
        }
        return x;
    }

    /** The merge configuration for these genes, as an ordered tree ready to be written as YAML. */
    public Map<String, Object> decode(double[] genes) {
        if (genes.length != layout.size()) {
            throw new IllegalArgumentException("genome has " + genes.length + " genes, layout " + layout.dimensionsText()
                    + " needs " + layout.size());
        }
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("merge_method", def.mergeMethod());
        if (def.mergeMethod().equals("slerp")) {
            cfg.put("slices", slerpSlices(genes));
        } else if (def.smooth()) {
            cfg.put("models", smoothModels(genes));
        } else {
            cfg.put("slices", discreteSlices(genes));
        }
        if (def.baseModel() != null && !def.mergeMethod().equals("slerp")) {
            cfg.put("base_model", def.baseModel());
        }
        if (!def.mergeMethod().equals("slerp")) {
            Map<String, Object> global = new LinkedHashMap<>();
            boolean normalize = def.normalize() != null ? def.normalize() : NORMALIZE_BY_DEFAULT.contains(def.mergeMethod());
            global.put("normalize", normalize);
            global.put("int8_mask", true);
            cfg.put("parameters", global);
        }
        cfg.put("dtype", "bfloat16");
        if (def.tokenizerSource() != null) {
            cfg.put("tokenizer_source", def.tokenizerSource());
        }
        return cfg;
    }

    /**
     * The value a merge receives for gene {@code v} of parameter {@code param}: |v|, with density clamped to [0, 1]
     * and weight 2v - 1 when {@code allow_negative_weights} is set.
     */
    public double transform(String param, double v) {
        return switch (param) {
            case "density" -> Math.clamp(Math.abs(v), 0.0, 1.0);
            case "weight" -> def.allowNegativeWeights() ? 2 * v - 1 : Math.abs(v);
            default -> Math.abs(v);
        };
    }

    /** The half-open layer range [start, end) of a layer group. */
    public List<Integer> layerRange(int group) {
        int step = def.layerGranularity() > 0 ? def.layerGranularity() : numLayers;
        return List.of(group * step, (group + 1) * step);
    }

    private boolean baseIsExtra() {
        return def.baseModel() != null && !def.models().contains(def.baseModel());
    }

    /** One parameter's value: a scalar with no filters, else a conditional list ending in the catch-all. */
    private Object parameterValue(int p, java.util.function.IntFunction<Object> valueForSet) {
        if (layout.parameterSets() == 1) {
            return valueForSet.apply(0);
        }
        List<Object> entries = new ArrayList<>();
        for (int s = 0; s < layout.parameterSets(); s++) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("filter", s < def.filters().size() ? def.filters().get(s) : null);
            e.put("value", valueForSet.apply(s));
            entries.add(e);
        }
        return entries;
    }

    private List<Object> discreteSlices(double[] genes) {
        List<Object> slices = new ArrayList<>();
        for (int g = 0; g < layout.layerGroups(); g++) {
            List<Object> sources = new ArrayList<>();
            for (int m = 0; m < layout.models(); m++) {
                Map<String, Object> src = new LinkedHashMap<>();
                src.put("model", def.models().get(m));
                src.put("layer_range", layerRange(g));
                Map<String, Object> params = new LinkedHashMap<>();
                for (int p = 0; p < layout.parametersPerSet(); p++) {
                    String name = layout.parameters().get(p);
                    final int gg = g, mm = m, pp = p;
                    params.put(name, parameterValue(p, s -> transform(name, genes[layout.index(gg, mm, s, pp)])));
                }
                src.put("parameters", params);
                sources.add(src);
            }
            if (baseIsExtra()) {
                Map<String, Object> base = new LinkedHashMap<>();
                base.put("model", def.baseModel());
                base.put("layer_range", layerRange(g));
                sources.add(base);
            }
            slices.add(Map.of("sources", sources));
        }
        return slices;
    }

    private List<Object> smoothModels(double[] genes) {
        List<Object> models = new ArrayList<>();
        for (int m = 0; m < layout.models(); m++) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("model", def.models().get(m));
            Map<String, Object> params = new LinkedHashMap<>();
            for (int p = 0; p < layout.parametersPerSet(); p++) {
                String name = layout.parameters().get(p);
                final int mm = m, pp = p;
                params.put(name, parameterValue(p, s -> {
                    if (layout.layerGroups() == 1) {
                        return transform(name, genes[layout.index(0, mm, s, pp)]);
                    }
                    List<Double> gradient = new ArrayList<>();
                    for (int g = 0; g < layout.layerGroups(); g++) {
                        gradient.add(transform(name, genes[layout.index(g, mm, s, pp)]));
                    }
                    return gradient;
                }));
            }
            entry.put("parameters", params);
            models.add(entry);
        }
        if (baseIsExtra()) {
            models.add(Map.of("model", def.baseModel()));
        }
        return models;
    }

    private List<Object> slerpSlices(double[] genes) {
        List<Object> slices = new ArrayList<>();
        for (int g = 0; g < layout.layerGroups(); g++) {
            double[] v = new double[layout.models()];
            for (int m = 0; m < v.length; m++) {
                v[m] = genes[layout.index(g, m, 0, 0)];
            }
            // Top-2 by gene value; on equal values the lower model index wins (stable, unlike a set order).
            Integer[] order = new Integer[v.length];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> Double.compare(v[b], v[a]));
            int first = order[0];
            int second = order[1];
            double t = 1.0 / (1.0 + Math.exp(v[first] - v[second]));
            List<Object> sources = new ArrayList<>();
            int[] picked = {first, second};
            double[] weights = {1 - t, t};
            for (int k = 0; k < 2; k++) {
                Map<String, Object> src = new LinkedHashMap<>();
                src.put("model", def.models().get(picked[k]));
                src.put("layer_range", layerRange(g));
                if (def.tokenizerSource() != null) {
                    src.put("parameters", Map.of("weight", weights[k]));
                }
                sources.add(src);
            }
            Map<String, Object> slice = new LinkedHashMap<>();
            slice.put("sources", sources);
            slice.put("base_model", def.models().get(first));
            slice.put("parameters", Map.of("t", t));
            slices.add(slice);
        }
        return slices;
    }
}
