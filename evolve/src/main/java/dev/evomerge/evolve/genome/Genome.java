package dev.evomerge.evolve.genome;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.merge.config.InputModel;
import dev.evomerge.merge.config.InputSlice;
import dev.evomerge.merge.config.LayerRange;
import dev.evomerge.merge.config.MergeConfig;
import dev.evomerge.merge.config.ModelReference;
import dev.evomerge.merge.config.OutputSlice;
import dev.evomerge.merge.config.ParameterSetting;
import dev.evomerge.merge.config.Parameters;
import dev.evomerge.merge.config.TokenizerConfig;
import dev.evomerge.merge.config.TokenizerSource;
import dev.evomerge.merge.method.MergeMethod;
import dev.evomerge.merge.method.MergeMethods;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * Turns a flat gene vector in [0, 1]^N into a mergekit merge configuration: discrete slices per layer group, or
 * smooth gradients; filter lists with a catch-all; for slerp, the top two models per layer group with a softmax t.
 * {@code allow_negative_weights} maps weight genes to [-1, 1]. Which parameters get genes, and whether a base model is
 * needed, come from the merge method's declaration ({@link EvolvableMethod}). The rules: docs/evolution.md, "Genes".
 */
public final class Genome {

    private final GenomeDefinition def;
    private final int numLayers;
    private final EvolvableMethod method;
    private final GeneLayout layout;
    private final List<ModelReference> models;
    private final ModelReference baseModel;
    private final TokenizerConfig tokenizer;

    /** Validates the definition against the first model's layer count (num_hidden_layers), with the built-in methods. */
    public Genome(GenomeDefinition def, int numLayers) {
        this(def, numLayers, MergeMethods.all());
    }

    /** As {@link #Genome(GenomeDefinition, int)}, with {@code genome.merge_method} looked up among {@code methods}. */
    public Genome(GenomeDefinition def, int numLayers, List<MergeMethod> methods) {
        this.def = def;
        this.numLayers = numLayers;
        this.method = EvolvableMethod.named(def.mergeMethod(), methods);
        String name = method.name();
        if (def.models().isEmpty()) {
            throw EvomergeException.usage("genome.models is empty: list the models to merge.");
        }
        if (method.needsBase() && def.baseModel() == null) {
            throw EvomergeException.usage("genome.base_model is required for merge_method " + name + ".");
        }
        if (method.pairwise()) {
            if (def.smooth()) {
                throw EvomergeException.usage("genome.smooth cannot be used with merge_method " + name + ".");
            }
            if (!def.filters().isEmpty()) {
                throw EvomergeException.usage("genome.filters cannot be used with merge_method " + name + ".");
            }
            if (def.models().size() < 2) {
                throw EvomergeException.usage("merge_method " + name + " needs at least 2 models in genome.models.");
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
        this.layout = new GeneLayout(groups, def.models().size(), def.filters().size() + 1, method.genes());
        List<ModelReference> refs = new ArrayList<>();
        for (int m = 0; m < def.models().size(); m++) {
            refs.add(reference(def.models().get(m), "genome.models[" + m + "]"));
        }
        this.models = List.copyOf(refs);
        this.baseModel = def.baseModel() == null ? null : reference(def.baseModel(), "genome.base_model");
        this.tokenizer = def.tokenizerSource() == null ? null : tokenizer(def.tokenizerSource());
    }

    /** A model string parsed as a merge config's reader parses it. */
    private static ModelReference reference(String text, String key) {
        try {
            return ModelReference.parse(text);
        } catch (EvomergeException e) {
            throw EvomergeException.usage(key + ": " + e.getMessage(), e);
        }
    }

    private static TokenizerConfig tokenizer(String text) {
        try {
            return new TokenizerConfig(TokenizerSource.parse(text), null, null);
        } catch (EvomergeException e) {
            throw EvomergeException.usage("genome.tokenizer_source: " + e.getMessage(), e);
        }
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

    /**
     * The merge configuration for these genes. It equals what {@code MergeConfigReader} reads from its YAML (written by
     * {@code MergeConfigWriter}), except that it has no source text.
     */
    public MergeConfig decode(double[] genes) {
        if (genes.length != layout.size()) {
            throw new IllegalArgumentException("genome has " + genes.length + " genes, layout " + layout.dimensionsText()
                    + " needs " + layout.size());
        }
        List<InputModel> wholeModels = null;
        List<OutputSlice> slices = null;
        if (method.pairwise()) {
            slices = pairwiseSlices(genes);
        } else if (def.smooth()) {
            wholeModels = smoothModels(genes);
        } else {
            slices = discreteSlices(genes);
        }
        ModelReference base = method.pairwise() ? null : baseModel; // a pairwise method picks its base per slice
        Parameters global = Parameters.empty();
        if (!method.pairwise()) {
            boolean normalize = def.normalize() != null ? def.normalize() : method.normalizeByDefault();
            Map<String, ParameterSetting> p = new LinkedHashMap<>();
            p.put("normalize", ParameterSetting.Scalar.of(normalize));
            p.put("int8_mask", ParameterSetting.Scalar.of(true));
            global = Parameters.of(p);
        }
        return new MergeConfig(method.name(), wholeModels, slices, null, base, global, DType.BF16, null, tokenizer,
                tokenizer != null, null, null);
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
        LayerRange r = range(group);
        return List.of(r.start(), r.end());
    }

    private LayerRange range(int group) {
        int step = def.layerGranularity() > 0 ? def.layerGranularity() : numLayers;
        return new LayerRange(group * step, (group + 1) * step);
    }

    /** True when the base model is not one of genome.models, so it is appended as an input without genes. */
    private boolean baseIsExtra() {
        return def.baseModel() != null && !def.models().contains(def.baseModel());
    }

    /** One parameter's setting: the value with no filters, else a conditional list ending in the catch-all. */
    private ParameterSetting parameterValue(IntFunction<ParameterSetting> valueForSet) {
        if (layout.parameterSets() == 1) {
            return valueForSet.apply(0);
        }
        List<ParameterSetting.Condition> entries = new ArrayList<>();
        for (int s = 0; s < layout.parameterSets(); s++) {
            String filter = s < def.filters().size() ? def.filters().get(s) : null;
            entries.add(new ParameterSetting.Condition(filter, valueForSet.apply(s)));
        }
        return new ParameterSetting.Conditional(entries);
    }

    private List<OutputSlice> discreteSlices(double[] genes) {
        List<OutputSlice> slices = new ArrayList<>();
        for (int g = 0; g < layout.layerGroups(); g++) {
            List<InputSlice> sources = new ArrayList<>();
            for (int m = 0; m < layout.models(); m++) {
                Map<String, ParameterSetting> params = new LinkedHashMap<>();
                for (int p = 0; p < layout.parametersPerSet(); p++) {
                    String name = layout.parameters().get(p);
                    final int gg = g, mm = m, pp = p;
                    params.put(name, parameterValue(s -> ParameterSetting.Scalar.of(
                            transform(name, genes[layout.index(gg, mm, s, pp)]))));
                }
                sources.add(new InputSlice(models.get(m), range(g), Parameters.of(params)));
            }
            if (baseIsExtra()) {
                sources.add(new InputSlice(baseModel, range(g), Parameters.empty()));
            }
            slices.add(new OutputSlice(sources, null, Parameters.empty(), null));
        }
        return slices;
    }

    private List<InputModel> smoothModels(double[] genes) {
        List<InputModel> out = new ArrayList<>();
        for (int m = 0; m < layout.models(); m++) {
            Map<String, ParameterSetting> params = new LinkedHashMap<>();
            for (int p = 0; p < layout.parametersPerSet(); p++) {
                String name = layout.parameters().get(p);
                final int mm = m, pp = p;
                params.put(name, parameterValue(s -> {
                    if (layout.layerGroups() == 1) {
                        return ParameterSetting.Scalar.of(transform(name, genes[layout.index(0, mm, s, pp)]));
                    }
                    List<Double> gradient = new ArrayList<>();
                    for (int g = 0; g < layout.layerGroups(); g++) {
                        gradient.add(transform(name, genes[layout.index(g, mm, s, pp)]));
                    }
                    return new ParameterSetting.Gradient(gradient);
                }));
            }
            out.add(new InputModel(models.get(m), Parameters.of(params)));
        }
        if (baseIsExtra()) {
            out.add(new InputModel(baseModel, Parameters.empty()));
        }
        return out;
    }

    /**
     * Per layer group, the two models with the highest genes: the first is the slice's base (the t = 0 end), the
     * second the other end, and the method's gene parameter is the softmax weight of the second,
     * {@code 1 / (1 + exp(v1 - v2))}.
     */
    private List<OutputSlice> pairwiseSlices(double[] genes) {
        String gene = layout.parameters().get(0);
        List<OutputSlice> slices = new ArrayList<>();
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
            int[] picked = {first, second};
            double[] weights = {1 - t, t};
            List<InputSlice> sources = new ArrayList<>();
            for (int k = 0; k < 2; k++) {
                // with a tokenizer source the two sources also carry the weights 1 - t and t, as evolved configs
                // always have
                Parameters params = tokenizer == null ? Parameters.empty()
                        : Parameters.of(Map.of("weight", ParameterSetting.Scalar.of(weights[k])));
                sources.add(new InputSlice(models.get(picked[k]), range(g), params));
            }
            slices.add(new OutputSlice(sources, models.get(first),
                    Parameters.of(Map.of(gene, ParameterSetting.Scalar.of(t))), null));
        }
        return slices;
    }
}
