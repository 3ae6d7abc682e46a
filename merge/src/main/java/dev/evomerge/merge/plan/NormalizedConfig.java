package dev.evomerge.merge.plan;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.merge.config.InputModel;
import dev.evomerge.merge.config.InputSlice;
import dev.evomerge.merge.config.LayerRange;
import dev.evomerge.merge.config.MergeConfig;
import dev.evomerge.merge.config.ModelReference;
import dev.evomerge.merge.config.OutputModule;
import dev.evomerge.merge.config.OutputSlice;
import dev.evomerge.merge.config.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * A config reduced to what the planner walks: output slices (a {@code models:} merge becomes one slice over every
 * model's full depth, with the base model appended as a last source without parameters when it is not listed) and
 * the module-level parameters. Only single-module architectures are supported, so {@code modules:} must name
 * exactly the module {@code default}.
 *
 * @param slices       the output slices in order
 * @param module       module-level parameters (empty unless {@code modules:} was used)
 * @param fromModels   true for a {@code models:} merge (layer counts in config.json are then left unchanged)
 */
public record NormalizedConfig(List<OutputSlice> slices, Parameters module, boolean fromModels) {

    /** The single module name of single-module architectures, as mergekit names it. */
    public static final String DEFAULT_MODULE = "default";

    public NormalizedConfig {
        slices = List.copyOf(slices);
    }

    /** Normalizes {@code config}; {@code layers} gives a model's layer count (for {@code models:} merges). */
    public static NormalizedConfig of(MergeConfig config, ToIntFunction<ModelReference> layers) {
        List<OutputSlice> slices = config.slices();
        List<InputModel> models = config.models();
        Parameters module = Parameters.empty();
        if (config.modules() != null) {
            if (config.modules().size() != 1 || !config.modules().containsKey(DEFAULT_MODULE)) {
                throw EvomergeException.usage("The config's modules " + config.modules().keySet()
                        + " are not supported: evomerge merges single-module architectures, whose one module is"
                        + " named '" + DEFAULT_MODULE + "'.");
            }
            OutputModule m = config.modules().get(DEFAULT_MODULE);
            slices = m.slices();
            models = m.models();
            module = m.parameters();
        }
        if (models != null) {
            List<InputSlice> sources = new ArrayList<>();
            for (InputModel m : models) {
                sources.add(new InputSlice(m.model(), new LayerRange(0, layers.applyAsInt(m.model())),
                        m.parameters()));
            }
            ModelReference base = config.baseModel();
            if (base != null && models.stream().noneMatch(m -> m.model().equals(base))) {
                sources.add(new InputSlice(base, new LayerRange(0, layers.applyAsInt(base)), Parameters.empty()));
            }
            return new NormalizedConfig(List.of(new OutputSlice(sources, null, Parameters.empty(), null)), module,
                    true);
        }
        return new NormalizedConfig(slices, module, false);
    }

    /** The base model of slice {@code i}: its own, else the config's global one (may be null). */
    public static ModelReference baseOf(OutputSlice slice, MergeConfig config) {
        return slice.baseModel() != null ? slice.baseModel() : config.baseModel();
    }

    /** Total output layers: the sum of each slice's length (its first source's range). */
    public int outputLayers() {
        int n = 0;
        for (OutputSlice s : slices) {
            n += s.sources().getFirst().layerRange().length();
        }
        return n;
    }

    /**
     * The layout of this normalization without parameters: what must stay equal for a plan to be reused with
     * another config (the evolution loop changes only parameter values).
     */
    public List<List<Map.Entry<ModelReference, LayerRange>>> layout() {
        List<List<Map.Entry<ModelReference, LayerRange>>> out = new ArrayList<>();
        for (OutputSlice s : slices) {
            out.add(s.sources().stream().map(src -> Map.entry(src.model(), src.layerRange())).toList());
        }
        return out;
    }
}
