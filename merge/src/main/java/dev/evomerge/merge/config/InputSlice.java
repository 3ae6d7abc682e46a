package dev.evomerge.merge.config;

import java.util.Objects;

/** One source of an output slice: a model's layers {@code layer_range} and optional per-source parameters. */
public record InputSlice(ModelReference model, LayerRange layerRange, Parameters parameters) {

    public InputSlice {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(layerRange, "layerRange");
        parameters = parameters == null ? Parameters.empty() : parameters;
    }
}
