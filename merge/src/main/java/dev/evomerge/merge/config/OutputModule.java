package dev.evomerge.merge.config;

import java.util.List;

/** One entry of {@code modules:}: exactly one of {@code slices}/{@code models}, plus module-level parameters. */
public record OutputModule(List<OutputSlice> slices, List<InputModel> models, Parameters parameters) {

    public OutputModule {
        slices = slices == null ? null : List.copyOf(slices);
        models = models == null ? null : List.copyOf(models);
        parameters = parameters == null ? Parameters.empty() : parameters;
    }
}
