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
 * the evolution loop plans once and resolves {@link #parameters(MergeConfig)} for each candidate. Plans are made by
 * {@link MergePlanner}.
 *
 * @param config       the config the plan was made from
 * @param jobs         output tensors in execution (and file) order
 * @param donor        the model whose config.json and tokenizer the output starts from: the base model, else the
 *                     first listed
 * @param outputConfig the output config.json (torch_dtype, layer count and vocabulary size updated)
 * @param vocabulary   the output vocabulary when the config has a tokenizer block or tokenizer_source, else null
 * @param parameters   the parameters of the plan's own config, one per job
 */
public record MergePlan(MergeMethod method, MergeConfig config, NormalizedConfig normalized, List<TensorJob> jobs,
                        ModelCatalog models, InputModelInfo donor, ModelConfig outputConfig,
                        VocabularyPlan vocabulary, List<JobParameters> parameters) {

    public MergePlan {
        jobs = List.copyOf(jobs);
        parameters = List.copyOf(parameters);
        if (parameters.size() != jobs.size()) {
            throw new IllegalArgumentException("a plan needs parameters for each of its " + jobs.size()
                    + " jobs, got " + parameters.size());
        }
    }

    /** A plan whose parameters are resolved from its own config. */
    MergePlan(MergeMethod method, MergeConfig config, NormalizedConfig normalized, List<TensorJob> jobs,
              ModelCatalog models, InputModelInfo donor, ModelConfig outputConfig, VocabularyPlan vocabulary) {
        this(method, config, normalized, jobs, models, donor, outputConfig, vocabulary,
                ParameterResolver.resolve(method, config, normalized, jobs));
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
