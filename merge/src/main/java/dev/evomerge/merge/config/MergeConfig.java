package dev.evomerge.merge.config;

import dev.evomerge.core.tensor.DType;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A mergekit merge configuration ({@code mergekit-yaml} YAML). Exactly one of {@code models}, {@code slices} and
 * {@code modules} is non-null; absent optional keys are null.
 *
 * @param mergeMethod     registry name of the merge method
 * @param models          whole-model merge inputs, or null
 * @param slices          output slices, or null
 * @param modules         module name to module definition, or null
 * @param baseModel       global base model, or null
 * @param parameters      global parameters (never null)
 * @param dtype           compute dtype (inputs are cast on load), or null to keep stored dtypes
 * @param outDtype        dtype the outputs are cast to when saved, or null
 * @param tokenizer       the tokenizer block (or the legacy {@code tokenizer_source} as one), or null
 * @param legacyTokenizerSource true when {@code tokenizer} came from the legacy {@code tokenizer_source} key
 * @param chatTemplate    {@code auto}, a built-in template name, a literal Jinja template, or null
 * @param sourceText      the YAML text this config was read from (written out as mergekit_config.yml), or null
 */
public record MergeConfig(String mergeMethod, List<InputModel> models, List<OutputSlice> slices,
                          Map<String, OutputModule> modules, ModelReference baseModel, Parameters parameters,
                          DType dtype, DType outDtype, TokenizerConfig tokenizer, boolean legacyTokenizerSource,
                          String chatTemplate, String sourceText) {

    public MergeConfig {
        Objects.requireNonNull(mergeMethod, "mergeMethod");
        models = models == null ? null : List.copyOf(models);
        slices = slices == null ? null : List.copyOf(slices);
        modules = modules == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(modules));
        parameters = parameters == null ? Parameters.empty() : parameters;
        int forms = (models != null ? 1 : 0) + (slices != null ? 1 : 0) + (modules != null ? 1 : 0);
        if (forms != 1) {
            throw new IllegalArgumentException("exactly one of models, slices and modules must be given");
        }
    }

    /** A whole-model merge config with no tokenizer, dtype or template settings. */
    public static MergeConfig ofModels(String method, List<InputModel> models, ModelReference baseModel,
                                       Parameters parameters, DType dtype) {
        return new MergeConfig(method, models, null, null, baseModel, parameters, dtype, null, null, false, null, null);
    }

    /** A slice merge config with no tokenizer, dtype or template settings. */
    public static MergeConfig ofSlices(String method, List<OutputSlice> slices, ModelReference baseModel,
                                       Parameters parameters, DType dtype) {
        return new MergeConfig(method, null, slices, null, baseModel, parameters, dtype, null, null, false, null, null);
    }

    /** This config with other global parameters (the YAML text is dropped since it no longer matches). */
    public MergeConfig withParameters(Parameters newParameters) {
        return new MergeConfig(mergeMethod, models, slices, modules, baseModel, newParameters, dtype, outDtype,
                tokenizer, legacyTokenizerSource, chatTemplate, null);
    }

    /** This config with other {@code models:} entries (the YAML text is dropped). */
    public MergeConfig withModels(List<InputModel> newModels) {
        return new MergeConfig(mergeMethod, newModels, null, null, baseModel, parameters, dtype, outDtype,
                tokenizer, legacyTokenizerSource, chatTemplate, null);
    }

    /** This config with other {@code slices:} entries (the YAML text is dropped). */
    public MergeConfig withSlices(List<OutputSlice> newSlices) {
        return new MergeConfig(mergeMethod, null, newSlices, null, baseModel, parameters, dtype, outDtype,
                tokenizer, legacyTokenizerSource, chatTemplate, null);
    }

    /** This config with the YAML text it was read from. */
    public MergeConfig withSourceText(String text) {
        return new MergeConfig(mergeMethod, models, slices, modules, baseModel, parameters, dtype, outDtype,
                tokenizer, legacyTokenizerSource, chatTemplate, text);
    }

    /**
     * Every model the config names, in the order it first names them: the base model first, then models, slice
     * sources, per-slice bases, tokenizer sources. This order (not a set's) decides donors in evomerge.
     */
    public List<ModelReference> referencedModels() {
        Set<ModelReference> seen = new LinkedHashSet<>();
        if (baseModel != null) {
            seen.add(baseModel);
        }
        listedModels().forEach(seen::add);
        for (OutputSlice s : allSlices()) {
            if (s.baseModel() != null) {
                seen.add(s.baseModel());
            }
        }
        if (tokenizer != null) {
            if (tokenizer.source() instanceof TokenizerSource.Model m) {
                seen.add(m.model());
            }
            for (TokenEmbedding te : tokenizer.tokens().values()) {
                switch (te.source()) {
                    case EmbeddingSource.FromModel f -> seen.add(f.model());
                    case EmbeddingSource.ModelToken mt -> seen.add(mt.model());
                    case null, default -> { }
                }
            }
        }
        return List.copyOf(seen);
    }

    /** The models of {@code models:} entries and slice sources, in listed order, without duplicates. */
    public List<ModelReference> listedModels() {
        Set<ModelReference> seen = new LinkedHashSet<>();
        for (InputModel m : allModelEntries()) {
            seen.add(m.model());
        }
        for (OutputSlice s : allSlices()) {
            for (InputSlice src : s.sources()) {
                seen.add(src.model());
            }
        }
        return List.copyOf(seen);
    }

    private List<InputModel> allModelEntries() {
        List<InputModel> out = new ArrayList<>();
        if (models != null) {
            out.addAll(models);
        }
        if (modules != null) {
            for (OutputModule m : modules.values()) {
                if (m.models() != null) {
                    out.addAll(m.models());
                }
            }
        }
        return out;
    }

    private List<OutputSlice> allSlices() {
        List<OutputSlice> out = new ArrayList<>();
        if (slices != null) {
            out.addAll(slices);
        }
        if (modules != null) {
            for (OutputModule m : modules.values()) {
                if (m.slices() != null) {
                    out.addAll(m.slices());
                }
            }
        }
        return out;
    }
}
