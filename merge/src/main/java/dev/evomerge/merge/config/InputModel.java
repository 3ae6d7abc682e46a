package dev.evomerge.merge.config;

import java.util.Objects;

/** One entry of a whole-model merge's {@code models:} list. */
public record InputModel(ModelReference model, Parameters parameters) {

    public InputModel {
        Objects.requireNonNull(model, "model");
        parameters = parameters == null ? Parameters.empty() : parameters;
    }
}
