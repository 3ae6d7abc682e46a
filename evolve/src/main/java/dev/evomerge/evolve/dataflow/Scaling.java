package dev.evomerge.evolve.dataflow;

import dev.evomerge.core.EvomergeException;

import java.util.Locale;

/**
 * How a data-flow genome scales the residual stream entering a layer: by the pair (model of the layer before, model
 * of this layer), by the pair (layer before, this layer), or not at all.
 */
public enum Scaling {
    MODEL_PAIR, LAYER_PAIR, NONE;

    /** The genome file's spelling: model-pair, layer-pair or none. */
    public String text() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Scaling parse(String s, String key) {
        for (Scaling v : values()) {
            if (v.text().equals(s)) {
                return v;
            }
        }
        throw EvomergeException.usage(key + " must be model-pair, layer-pair or none, got '" + s + "'.");
    }
}
