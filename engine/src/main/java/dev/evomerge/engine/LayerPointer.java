package dev.evomerge.engine;

/**
 * Decoder layer {@code layer} (0-based) of the loaded model {@code source}, as an entry of a layer sequence; the
 * residual stream entering it is multiplied by {@code inputScale} first (1 = unchanged), which is how a data-flow path
 * rescales the stream between layers taken from different models.
 */
public record LayerPointer(CausalLanguageModel source, int layer, double inputScale) {

    /** The layer as it is, its input unscaled. */
    public LayerPointer(CausalLanguageModel source, int layer) {
        this(source, layer, 1.0);
    }
}
