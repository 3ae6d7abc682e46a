package dev.evomerge.merge.plan;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.model.ModelConfig;
import dev.evomerge.core.tensor.TensorInfo;
import dev.evomerge.merge.config.MergeConfig;
import dev.evomerge.merge.config.ModelReference;
import dev.evomerge.merge.config.OutputSlice;
import dev.evomerge.merge.input.InputModelInfo;
import dev.evomerge.merge.input.ModelCatalog;
import dev.evomerge.merge.method.MergeMethod;
import dev.evomerge.merge.vocab.VocabularyPlan;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A validated merge: every output tensor with its inputs, the output config.json and vocabulary. A plan depends on
 * the config's layout (method, models, slices, base models, dtypes, tokenizer) but not on its parameter values, so
 * the evolution loop plans once and resolves {@link #parameters(MergeConfig)} for each candidate.
 */
public final class MergePlan {

    private final MergeMethod method;
    private final MergeConfig config;
    private final NormalizedConfig normalized;
    private final List<TensorJob> jobs;
    private final ModelCatalog models;
    private final InputModelInfo donor;
    private final ModelConfig outputConfig;
    private final VocabularyPlan vocabulary;
    private final List<JobParameters> parameters;

    MergePlan(MergeMethod method, MergeConfig config, NormalizedConfig normalized, List<TensorJob> jobs,
              ModelCatalog models, InputModelInfo donor, ModelConfig outputConfig, VocabularyPlan vocabulary) {
        this.method = method;
        this.config = config;
        this.normalized = normalized;
        this.jobs = List.copyOf(jobs);
        this.models = models;
        this.donor = donor;
        this.outputConfig = outputConfig;
        this.vocabulary = vocabulary;
        this.parameters = ParameterResolver.resolve(method, config, normalized, this.jobs);
    }

    public MergeMethod method() {
        return method;
    }

    /** The config the plan was made from. */
    public MergeConfig config() {
        return config;
    }

    public NormalizedConfig normalized() {
        return normalized;
    }

    /** Output tensors in execution (and file) order. */
    public List<TensorJob> jobs() {
        return jobs;
    }

    public ModelCatalog models() {
        return models;
    }

    /** The model whose config.json and tokenizer the output starts from: the base model, else the first listed. */
    public InputModelInfo donor() {
        return donor;
    }

    /** The output config.json (torch_dtype, layer count and vocabulary size updated). */
    public ModelConfig outputConfig() {
        return outputConfig;
    }

    /** The output vocabulary when the config has a tokenizer block or tokenizer_source, else null. */
    public VocabularyPlan vocabulary() {
        return vocabulary;
    }

    /** The output tensors as a writer plans them. */
    public List<TensorInfo> outputs() {
        return jobs.stream().map(TensorJob::output).toList();
    }

    /** Bytes read from the input models by one merge. */
    public long inputBytes() {
        return jobs.stream().mapToLong(TensorJob::inputBytes).sum();
    }

    /** Bytes written by one merge. */
    public long outputBytes() {
        return jobs.stream().mapToLong(j -> j.output().byteSize()).sum();
    }

    /** The parameters of the plan's own config, per job. */
    public List<JobParameters> parameters() {
        return parameters;
    }

    /**
     * The parameters another config gives this plan's tensors. The config must have the plan's layout (only
     * parameter values may differ); otherwise this is a usage error saying what differs.
     */
    public List<JobParameters> parameters(MergeConfig candidate) {
        if (candidate == config) {
            return parameters;
        }
        String difference = layoutDifference(candidate);
        if (difference != null) {
            throw EvomergeException.usage("The config differs from the planned one in " + difference
                    + "; only parameter values may change between merges of one plan.");
        }
        NormalizedConfig other = NormalizedConfig.of(candidate, r -> models.get(r).numLayers());
        return ParameterResolver.resolve(method, candidate, other, jobs);
    }

    /** Whether {@code candidate} has this plan's layout, i.e. {@link #parameters(MergeConfig)} accepts it. */
    public boolean layoutMatches(MergeConfig candidate) {
        return candidate == config || layoutDifference(candidate) == null;
    }

    private String layoutDifference(MergeConfig c) {
        for (ModelReference r : c.referencedModels()) {
            if (!models.contains(r)) {
                return "its models (" + r + " was not planned)";
            }
        }
        NormalizedConfig n;
        try {
            n = NormalizedConfig.of(c, r -> models.get(r).numLayers());
        } catch (EvomergeException e) {
            return "its modules";
        }
        return layoutDifference(c, n);
    }

    private String layoutDifference(MergeConfig c, NormalizedConfig n) {
        if (!c.mergeMethod().equals(config.mergeMethod())) {
            return "merge_method";
        }
        if (!n.layout().equals(normalized.layout())) {
            return "its models or layer ranges";
        }
        if (!bases(c, n).equals(bases(config, normalized))) {
            return "its base models";
        }
        if (c.dtype() != config.dtype() || c.outDtype() != config.outDtype()) {
            return "dtype or out_dtype";
        }
        if (!Objects.equals(c.tokenizer(), config.tokenizer())) {
            return "its tokenizer settings";
        }
        return null;
    }

    private static List<ModelReference> bases(MergeConfig c, NormalizedConfig n) {
        List<ModelReference> out = new ArrayList<>();
        for (OutputSlice s : n.slices()) {
            out.add(NormalizedConfig.baseOf(s, c));
        }
        return out;
    }
}
