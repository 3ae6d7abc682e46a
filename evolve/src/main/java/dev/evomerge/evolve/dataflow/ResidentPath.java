package dev.evomerge.evolve.dataflow;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.engine.CausalLanguageModel;
import dev.evomerge.engine.LayerPointer;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A {@link LayerPath} running in memory: source model 0 (whose embeddings, final norm and head the path keeps) is
 * re-pointed at the path's layers of the resident source models, with no weight copied and a layer used twice held
 * once; {@link #close()} gives model 0 back the layer sequence it had before. Score or generate through
 * {@link #model()} (or any wrapper of source model 0, such as the evaluation's LanguageModel) while it is open.
 *
 * <p>Model 0 runs one path at a time: apply paths one after the other, never two at once on the same model.
 */
public final class ResidentPath implements AutoCloseable {

    private final CausalLanguageModel model;
    private final List<LayerPointer> previous;
    private boolean closed;

    private ResidentPath(CausalLanguageModel model, List<LayerPointer> previous) {
        this.model = model;
        this.previous = previous;
    }

    /**
     * Points {@code sources.get(0)} at {@code path}; step i runs layer {@code step.layer()} of
     * {@code sources.get(step.model())} with the residual stream entering it multiplied by {@code step.scale()}.
     * A bad path (unknown model, missing layer, a scale that is not finite and positive, layers of another shape)
     * is a usage error and leaves model 0 as it was.
     */
    public static ResidentPath apply(List<CausalLanguageModel> sources, LayerPath path) {
        CausalLanguageModel target = sources.getFirst();
        List<LayerPointer> previous = target.layers();
        target.setLayers(pointers(sources, path));
        return new ResidentPath(target, previous);
    }

    /** The engine's layer sequence for {@code path} over {@code sources} (index = {@link PathStep#model()}). */
    public static List<LayerPointer> pointers(List<CausalLanguageModel> sources, LayerPath path) {
        Objects.requireNonNull(path, "path");
        if (sources.isEmpty()) {
            throw new IllegalArgumentException("a data-flow path needs at least one source model");
        }
        if (path.length() == 0) {
            throw EvomergeException.usage("A data-flow path needs at least one layer.");
        }
        List<LayerPointer> out = new ArrayList<>(path.length());
        for (int i = 0; i < path.length(); i++) {
            PathStep s = path.steps().get(i);
            if (s.model() < 0 || s.model() >= sources.size()) {
                throw EvomergeException.usage("Step " + i + " of the data-flow path takes a layer of source model "
                        + s.model() + ", but there are " + sources.size() + " source models (0.."
                        + (sources.size() - 1) + ").");
            }
            out.add(new LayerPointer(sources.get(s.model()), s.layer(), s.scale()));
        }
        return out;
    }

    /** Source model 0, running the path. */
    public CausalLanguageModel model() {
        return model;
    }

    /** Gives model 0 back the layer sequence it had before {@link #apply}; a second call does nothing. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            model.setLayers(previous);
        }
    }
}
