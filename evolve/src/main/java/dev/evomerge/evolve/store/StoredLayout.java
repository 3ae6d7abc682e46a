package dev.evomerge.evolve.store;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.evomerge.evolve.genome.GeneLayout;
import dev.evomerge.evolve.genome.Genome;

import java.util.ArrayList;
import java.util.List;

/**
 * A run's gene layout as run.db keeps it (meta key {@link RunMeta#LAYOUT}) and the dashboard's JSON shows it: the merge
 * method, the dimensions [G, M, S, P], the models, parameter and filter names, and each layer group's layer range
 * [start, end). A field that a stored layout lacks stays null here and absent in the JSON.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"method", "dimensions", "models", "parameters", "filters", "layer_ranges"})
public record StoredLayout(String method, List<Integer> dimensions, List<String> models, List<String> parameters,
                           List<String> filters, @JsonProperty("layer_ranges") List<List<Integer>> layerRanges) {

    /** The layout of a genome. */
    public static StoredLayout of(Genome genome) {
        GeneLayout l = genome.layout();
        List<List<Integer>> ranges = new ArrayList<>();
        for (int g = 0; g < l.layerGroups(); g++) {
            ranges.add(List.copyOf(genome.layerRange(g)));
        }
        return new StoredLayout(genome.definition().mergeMethod(),
                List.of(l.layerGroups(), l.models(), l.parameterSets(), l.parametersPerSet()),
                List.copyOf(genome.definition().models()), List.copyOf(l.parameters()),
                List.copyOf(genome.definition().filters()), ranges);
    }

    /**
     * The gene layout these dimensions describe, its parameters named "p0", "p1", ... where the stored layout names
     * none; null when the dimensions are missing.
     */
    @JsonIgnore
    public GeneLayout geneLayout() {
        if (dimensions == null || dimensions.size() != 4) {
            return null;
        }
        int p = dimensions.get(3);
        List<String> names = parameters;
        if (names == null || names.size() != p) {
            names = new ArrayList<>();
            for (int i = 0; i < p; i++) {
                names.add("p" + i);
            }
        }
        return new GeneLayout(dimensions.get(0), dimensions.get(1), dimensions.get(2), names);
    }

    /** The name of model {@code m}, "model m" where the stored layout names none. */
    public String model(int m) {
        return models != null && m < models.size() ? models.get(m) : "model " + m;
    }

    /** The name of filter set {@code s}; the set after the named filters holds the other tensors. */
    public String filterSet(int s) {
        return filters != null && s < filters.size() ? filters.get(s) : "other";
    }
}
