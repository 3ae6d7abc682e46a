package dev.evomerge.core.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The tensors of one model architecture: weights before the layers (embeddings), the weights of every layer
 * (names with {@code ${layer_index}}) and weights after the layers (final norm, lm_head), plus the config key that
 * holds the layer count (or a fixed layer count, for inferred architectures). Built-in templates come from JSON
 * resources ({@link Architectures}); unknown architectures get an inferred one (no layer-count key, everything outside
 * the layers a pre-weight).
 */
public record ArchitectureTemplate(
        String modelType,
        List<String> architectures,
        Optional<String> numLayersConfigKey,
        OptionalInt overrideNumLayers,
        List<WeightTemplate> preWeights,
        List<WeightTemplate> layerTemplates,
        List<WeightTemplate> postWeights) {

    public ArchitectureTemplate {
        Objects.requireNonNull(modelType, "modelType");
        architectures = List.copyOf(architectures);
        Objects.requireNonNull(numLayersConfigKey, "numLayersConfigKey");
        Objects.requireNonNull(overrideNumLayers, "overrideNumLayers");
        preWeights = List.copyOf(preWeights);
        layerTemplates = List.copyOf(layerTemplates);
        postWeights = List.copyOf(postWeights);
        for (WeightTemplate w : preWeights) {
            requireFixed(w);
        }
        for (WeightTemplate w : postWeights) {
            requireFixed(w);
        }
        for (WeightTemplate w : layerTemplates) {
            if (!WeightTemplate.placeholdersValid(w.name())) {
                throw new IllegalArgumentException("layer weight '" + w.name() + "' has an unsupported placeholder");
            }
        }
    }

    private static void requireFixed(WeightTemplate w) {
        if (w.isTemplate()) {
            throw new IllegalArgumentException("pre/post weight '" + w.name() + "' must not contain a placeholder");
        }
    }

    /** The layer count of a model with this architecture: the fixed count, else the config's layer-count key. */
    public int numLayers(ModelConfig config) {
        if (overrideNumLayers.isPresent()) {
            return overrideNumLayers.getAsInt();
        }
        return config.requireInt(numLayersConfigKey.orElse(ModelConfig.DEFAULT_LAYER_COUNT_KEY));
    }

    /** The weights of layer {@code layer}, placeholders filled in. */
    public List<WeightTemplate> layerWeights(int layer) {
        if (layer < 0) {
            throw new IllegalArgumentException("negative layer index " + layer);
        }
        return layerTemplates.stream().map(w -> w.forLayer(layer)).toList();
    }

    /** Pre-weights, every layer's weights in layer order, then post-weights. */
    public List<WeightTemplate> allWeights(int numLayers) {
        List<WeightTemplate> all = new ArrayList<>(preWeights);
        for (int i = 0; i < numLayers; i++) {
            all.addAll(layerWeights(i));
        }
        all.addAll(postWeights);
        return List.copyOf(all);
    }

    public List<String> preWeightNames() {
        return names(preWeights);
    }

    public List<String> layerWeightNames(int layer) {
        return names(layerWeights(layer));
    }

    public List<String> postWeightNames() {
        return names(postWeights);
    }

    public List<String> allWeightNames(int numLayers) {
        return names(allWeights(numLayers));
    }

    /** The weight called {@code tensorName} in a model with {@code numLayers} layers, if the template lists it. */
    public Optional<WeightTemplate> weight(String tensorName, int numLayers) {
        return allWeights(numLayers).stream().filter(w -> w.name().equals(tensorName)).findFirst();
    }

    private static List<String> names(List<WeightTemplate> weights) {
        return weights.stream().map(WeightTemplate::name).toList();
    }
}
