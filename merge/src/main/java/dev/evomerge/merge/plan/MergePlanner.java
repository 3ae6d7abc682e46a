package dev.evomerge.merge.plan;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.model.ArchitectureTemplate;
import dev.evomerge.core.model.ModelConfig;
import dev.evomerge.core.model.WeightTemplate;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.merge.config.InputSlice;
import dev.evomerge.merge.config.MergeConfig;
import dev.evomerge.merge.config.ModelReference;
import dev.evomerge.merge.config.OutputSlice;
import dev.evomerge.merge.config.Parameters;
import dev.evomerge.merge.input.InputModelInfo;
import dev.evomerge.merge.input.ModelCatalog;
import dev.evomerge.merge.method.BaseModelUse;
import dev.evomerge.merge.method.MergeMethod;
import dev.evomerge.merge.method.MergeMethods;
import dev.evomerge.merge.method.ParameterSpec;
import dev.evomerge.merge.vocab.VocabularyPlan;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * Turns a merge config into a {@link MergePlan} the way mergekit's planner walks it: pre-layer weights from the
 * first slice's sources ({@code t = 0}), then every slice layer by layer into consecutively numbered output layers
 * ({@code t = idx/(L-1)}), then post-layer weights from the last slice ({@code t = 0}). Everything a merge could
 * trip over is checked here, from tensor headers only, so a bad config fails before any output is written.
 */
public final class MergePlanner {

    private final MergeConfig config;
    private final ModelCatalog models;
    private final PlanOptions options;
    private final Consumer<String> warnings;
    private final MergeMethod method;

    private MergePlanner(MergeConfig config, ModelCatalog models, PlanOptions options, Consumer<String> warnings) {
        this.config = config;
        this.models = models;
        this.options = options;
        this.warnings = warnings;
        this.method = MergeMethods.byName(config.mergeMethod());
    }

    /** Plans {@code config} over the opened {@code models}; usage errors name the model, tensor or key at fault. */
    public static MergePlan plan(MergeConfig config, ModelCatalog models, PlanOptions options,
                                 Consumer<String> warnings) {
        return new MergePlanner(config, models, options, warnings).plan();
    }

    private MergePlan plan() {
        warnAboutParameters();
        NormalizedConfig normalized = NormalizedConfig.of(config, r -> models.get(r).numLayers());
        List<OutputSlice> slices = normalized.slices();
        for (int i = 0; i < slices.size(); i++) {
            checkSlice(i, slices.get(i));
        }
        InputModelInfo donor = models.get(config.baseModel() != null ? config.baseModel()
                : config.listedModels().getFirst());
        checkArchitectures(donor);
        VocabularyPlan vocabulary = config.tokenizer() == null ? null
                : VocabularyPlan.build(config, donor.reference(), models, warnings);
        List<TensorJob> jobs = jobs(normalized, donor.architecture(), vocabulary);
        ModelConfig out = outputConfig(donor, normalized, vocabulary);
        return new MergePlan(method, config, normalized, jobs, models, donor, out, vocabulary);
    }

    // ---- checks

    private void warnAboutParameters() {
        Set<String> declared = new HashSet<>();
        Set<String> global = new HashSet<>();
        for (ParameterSpec p : method.parameters()) {
            declared.add(p.name());
            if (p.scope() == ParameterSpec.Scope.GLOBAL) {
                global.add(p.name());
            }
        }
        Set<String> unknown = new TreeSet<>();
        Set<String> globalAtSource = new TreeSet<>();
        List<Parameters> levels = new ArrayList<>();
        levels.add(config.parameters());
        List<Parameters> sourceLevels = new ArrayList<>();
        collectParameters(levels, sourceLevels);
        for (Parameters p : levels) {
            p.names().stream().filter(n -> !declared.contains(n)).forEach(unknown::add);
        }
        for (Parameters p : sourceLevels) {
            p.names().stream().filter(n -> !declared.contains(n)).forEach(unknown::add);
            p.names().stream().filter(global::contains).forEach(globalAtSource::add);
        }
        if (!unknown.isEmpty()) {
            warnings.accept("Parameter" + (unknown.size() == 1 ? " " : "s ") + quoted(unknown)
                    + (unknown.size() == 1 ? " is" : " are") + " not read by method " + method.name()
                    + " and ignored (it reads " + (declared.isEmpty() ? "no parameters"
                    : quoted(method.parameters().stream().map(ParameterSpec::name).toList())) + ").");
        }
        if (!globalAtSource.isEmpty()) {
            warnings.accept("Parameter" + (globalAtSource.size() == 1 ? " " : "s ") + quoted(globalAtSource)
                    + " of method " + method.name() + " apply to whole tensors, so settings under a model or slice"
                    + " source are ignored; set them under the slice's or the global parameters.");
        }
    }

    private void collectParameters(List<Parameters> levels, List<Parameters> sourceLevels) {
        if (config.models() != null) {
            config.models().forEach(m -> sourceLevels.add(m.parameters()));
        }
        List<OutputSlice> slices = new ArrayList<>();
        if (config.slices() != null) {
            slices.addAll(config.slices());
        }
        if (config.modules() != null) {
            config.modules().values().forEach(m -> {
                levels.add(m.parameters());
                if (m.models() != null) {
                    m.models().forEach(x -> sourceLevels.add(x.parameters()));
                }
                if (m.slices() != null) {
                    slices.addAll(m.slices());
                }
            });
        }
        for (OutputSlice s : slices) {
            levels.add(s.parameters());
            s.sources().forEach(src -> sourceLevels.add(src.parameters()));
        }
    }

    private static String quoted(java.util.Collection<String> names) {
        return String.join(", ", names.stream().map(n -> "'" + n + "'").toList());
    }

    private void checkSlice(int index, OutputSlice slice) {
        String where = config.models() != null || (config.modules() != null
                && config.modules().values().iterator().next().models() != null) ? "The models" : "Slice " + index;
        Set<ModelReference> seen = new HashSet<>();
        InputSlice first = slice.sources().getFirst();
        for (InputSlice s : slice.sources()) {
            InputModelInfo m = models.get(s.model());
            if (!seen.add(s.model())) {
                throw EvomergeException.usage(where + " lists model " + s.model() + " twice; inputs are keyed by"
                        + " model, so use separate slices to repeat a model's layers.");
            }
            if (s.layerRange().end() > m.numLayers()) {
                throw EvomergeException.usage(where + ": layer_range " + s.layerRange() + " of model " + s.model()
                        + " goes beyond its " + m.numLayers() + " layers (the end is exclusive).");
            }
            if (s.layerRange().length() != first.layerRange().length()) {
                throw EvomergeException.usage(where + ": all sources must have the same number of layers, but "
                        + first.model() + " has " + first.layerRange().length() + " " + first.layerRange()
                        + " and " + s.model() + " has " + s.layerRange().length() + " " + s.layerRange() + ".");
            }
        }
        ModelReference base = NormalizedConfig.baseOf(slice, config);
        BaseModelUse use = method.baseModelUse();
        boolean needsBase = use == BaseModelUse.REQUIRED || use == BaseModelUse.SELECTS_T0;
        if (needsBase && base == null) {
            throw EvomergeException.usage("Method " + method.name() + " needs a base_model; set base_model"
                    + " globally or on every slice.");
        }
        boolean baseIsInput = base != null && seen.contains(base);
        if (base != null && !baseIsInput && (needsBase || use == BaseModelUse.OPTIONAL)) {
            throw EvomergeException.usage(where + ": base model " + base + " is not among its sources; add it as a"
                    + " source with a layer_range of the same length.");
        }
        int counted = slice.sources().size()
                - (baseIsInput && use != BaseModelUse.JUST_AN_INPUT && use != BaseModelUse.NONE ? 1 : 0);
        if (!method.arity().accepts(counted)) {
            String what = (method.arity().max() == 1 ? "model" : "models")
                    + (use == BaseModelUse.JUST_AN_INPUT || use == BaseModelUse.NONE ? "" : " besides the base");
            throw EvomergeException.usage("Method " + method.name() + " takes " + method.arity() + " " + what
                    + ", but " + where.toLowerCase(java.util.Locale.ROOT)
                    + (where.startsWith("The") ? " give " : " has ") + counted + ".");
        }
    }

    private void checkArchitectures(InputModelInfo donor) {
        Map<String, ModelReference> byArch = new LinkedHashMap<>();
        for (ModelReference r : config.listedModels()) {
            byArch.putIfAbsent(models.get(r).architectureName(), r);
        }
        if (config.baseModel() != null) {
            byArch.putIfAbsent(models.get(config.baseModel()).architectureName(), config.baseModel());
        }
        if (byArch.size() > 1) {
            if (!options.allowCrimes()) {
                List<String> parts = byArch.entrySet().stream().map(e -> e.getValue() + " is " + e.getKey()).toList();
                throw EvomergeException.usage("The models have different architectures (" + String.join(", ", parts)
                        + "); pass --allow-crimes to merge them anyway.");
            }
            warnings.accept("Merging different architectures " + byArch.keySet() + " (--allow-crimes); the output"
                    + " uses " + donor.architectureName() + " from " + donor.reference() + ".");
        }
    }

    // ---- tensors

    private List<TensorJob> jobs(NormalizedConfig normalized, ArchitectureTemplate outArch, VocabularyPlan vocab) {
        List<TensorJob> jobs = new ArrayList<>();
        List<OutputSlice> slices = normalized.slices();
        OutputSlice first = slices.getFirst();
        OutputSlice last = slices.getLast();
        for (WeightTemplate w : outArch.preWeights()) {
            List<WeightTemplate> ins = first.sources().stream().map(s -> w).toList();
            plan(jobs, w, first, 0, ins, 0.0, TensorJob.Part.PRE, vocab);
        }
        int outLayer = 0;
        for (int si = 0; si < slices.size(); si++) {
            OutputSlice slice = slices.get(si);
            int length = slice.sources().getFirst().layerRange().length();
            for (int j = 0; j < length; j++) {
                List<WeightTemplate> outWeights = outArch.layerWeights(outLayer);
                List<List<WeightTemplate>> inWeights = new ArrayList<>();
                for (InputSlice s : slice.sources()) {
                    InputModelInfo m = models.get(s.model());
                    List<WeightTemplate> lw = m.architecture().layerWeights(s.layerRange().start() + j);
                    if (lw.size() != outWeights.size()) {
                        throw EvomergeException.usage("Model " + s.model() + " has " + lw.size() + " tensors per"
                                + " layer but the output architecture has " + outWeights.size()
                                + "; these architectures cannot be merged layer by layer.");
                    }
                    inWeights.add(lw);
                }
                double t = ParameterScope.layerT(j, length);
                for (int k = 0; k < outWeights.size(); k++) {
                    final int kk = k;
                    plan(jobs, outWeights.get(k), slice, si, inWeights.stream().map(l -> l.get(kk)).toList(), t,
                            TensorJob.Part.LAYER, vocab);
                }
                outLayer++;
            }
        }
        for (WeightTemplate w : outArch.postWeights()) {
            List<WeightTemplate> ins = last.sources().stream().map(s -> w).toList();
            plan(jobs, w, last, slices.size() - 1, ins, 0.0, TensorJob.Part.POST, vocab);
        }
        return jobs;
    }

    private void plan(List<TensorJob> jobs, WeightTemplate out, OutputSlice slice, int sliceIndex,
                      List<WeightTemplate> inWeights, double t, TensorJob.Part part, VocabularyPlan vocab) {
        List<InputSlice> sources = slice.sources();
        if (out.optional()) {
            // An optional weight that no input has under its own name is skipped (a tied stand-in does not count).
            boolean any = false;
            for (int i = 0; i < sources.size(); i++) {
                any |= models.get(sources.get(i).model()).info(inWeights.get(i).name()).isPresent();
            }
            if (!any) {
                return;
            }
        }
        List<JobInput> inputs = new ArrayList<>();
        for (int i = 0; i < sources.size(); i++) {
            InputModelInfo m = models.get(sources.get(i).model());
            WeightTemplate w = inWeights.get(i);
            Optional<String> stored = storedName(m, w);
            if (stored.isEmpty()) {
                if (w.optional()) {
                    continue;
                }
                throw EvomergeException.usage("Tensor " + w.name() + " is required but not present in model "
                        + m.reference() + " (" + m.directory() + ").");
            }
            inputs.add(new JobInput(m.reference(), w.name(), stored.get(), m.info(stored.get()).orElseThrow()));
        }
        ModelReference base = NormalizedConfig.baseOf(slice, config);
        int baseIndex = -1;
        for (int i = 0; i < inputs.size(); i++) {
            if (inputs.get(i).model().equals(base)) {
                baseIndex = i;
            }
        }
        BaseModelUse use = method.baseModelUse();
        if (baseIndex < 0 && base != null && (use == BaseModelUse.REQUIRED || use == BaseModelUse.SELECTS_T0
                || (use == BaseModelUse.OPTIONAL && sources.stream().anyMatch(s -> s.model().equals(base))))) {
            throw EvomergeException.usage("Tensor " + out.name() + " is not present in base model " + base
                    + ", which method " + method.name() + " needs.");
        }
        String name = out.name();
        boolean permuted = out.isEmbed() && vocab != null;
        Shape shape = outputShape(name, out.isEmbed(), permuted, inputs, baseIndex, vocab);
        DType work = config.dtype() != null ? config.dtype()
                : inputs.get(baseIndex >= 0 ? baseIndex : 0).stored().dtype();
        DType outDtype = config.outDtype() != null ? config.outDtype() : work;
        jobs.add(new TensorJob(jobs.size(), name, part, out.isEmbed(), shape, work, outDtype, inputs,
                baseIndex >= 0 ? base : null, sliceIndex, t, permuted));
    }

    private static Optional<String> storedName(InputModelInfo m, WeightTemplate w) {
        if (m.info(w.name()).isPresent()) {
            return Optional.of(w.name());
        }
        for (String tied : w.tiedNames()) {
            if (m.info(tied).isPresent()) {
                return Optional.of(tied);
            }
        }
        return Optional.empty();
    }

    private Shape outputShape(String name, boolean isEmbed, boolean permuted, List<JobInput> inputs, int baseIndex,
                              VocabularyPlan vocab) {
        List<Shape> shapes = inputs.stream().map(i -> i.stored().shape()).toList();
        if (permuted) {
            for (JobInput in : inputs) {
                Shape s = in.stored().shape();
                if (s.rank() != 2 || s.dim(1) != shapes.getFirst().dim(1) || shapes.getFirst().rank() != 2) {
                    throw EvomergeException.usage("Embedding " + name + " must be a matrix with one hidden size in"
                            + " every model to be re-indexed for the tokenizer, but it is " + describe(inputs) + ".");
                }
            }
            return Shape.of(vocab.paddedSize(), shapes.getFirst().dim(1));
        }
        Shape s = isEmbed ? EmbeddingShapes.outputShape(method.name(), shapes, baseIndex)
                : shapes.stream().allMatch(x -> x.equals(shapes.getFirst())) ? shapes.getFirst() : null;
        if (s == null) {
            throw EvomergeException.usage("Shape mismatch for tensor " + name + ": " + describe(inputs)
                    + (isEmbed ? " (method " + method.name() + " cannot reconcile embedding sizes; a tokenizer"
                    + " config aligns vocabularies)." : "."));
        }
        if (isEmbed && !shapes.stream().allMatch(x -> x.equals(shapes.getFirst()))) {
            warnCrop(name, inputs, s, baseIndex);
        }
        return s;
    }

    /** mergekit's warnings for a cropped embedding, with the shapes involved. */
    private void warnCrop(String name, List<JobInput> inputs, Shape out, int baseIndex) {
        if (baseIndex >= 0 && EmbeddingShapes.cropsToBase(method.name())) {
            for (JobInput in : inputs) {
                if (!in.stored().shape().equals(out)) {
                    warnings.accept("Using submatrix of " + in.model() + ":" + name + " (" + in.stored().shape()
                            + " cropped to the base model's " + out + "; the rows and columns beyond it are dropped).");
                }
            }
            return;
        }
        warnings.accept("Using common submatrix of size " + out + " for " + name + " (the inputs are "
                + describe(inputs) + "; the rows and columns beyond it are dropped).");
    }

    private static String describe(List<JobInput> inputs) {
        List<String> parts = new ArrayList<>();
        for (JobInput in : inputs) {
            parts.add(in.stored().shape() + " in " + in.model());
        }
        return String.join(", ", parts);
    }

    // ---- config.json

    private ModelConfig outputConfig(InputModelInfo donor, NormalizedConfig normalized, VocabularyPlan vocab) {
        ModelConfig out = donor.config();
        DType dtype = config.outDtype() != null ? config.outDtype() : config.dtype();
        if (dtype != null) {
            out = out.withTorchDtype(dtype);
        }
        if (!normalized.fromModels()) {
            int layers = normalized.outputLayers();
            Optional<String> key = donor.architecture().numLayersConfigKey();
            if (key.isPresent()) {
                out = out.with(key.get(), com.fasterxml.jackson.databind.node.IntNode.valueOf(layers));
            } else if (out.has(ModelConfig.DEFAULT_LAYER_COUNT_KEY)) {
                out = out.with(ModelConfig.DEFAULT_LAYER_COUNT_KEY,
                        com.fasterxml.jackson.databind.node.IntNode.valueOf(layers));
            } else {
                warnings.accept("The output has " + layers + " layers but the architecture of " + donor.reference()
                        + " names no layer-count key, so config.json was not updated; you may need to correct it.");
            }
        }
        if (vocab != null) {
            out = out.withVocabSize(vocab.paddedSize());
        }
        return out;
    }
}
