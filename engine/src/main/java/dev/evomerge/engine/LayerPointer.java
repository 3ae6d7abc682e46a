package dev.evomerge.engine;

/** Decoder layer {@code layer} (0-based) of the loaded model {@code source}, as an entry of a layer sequence. */
public record LayerPointer(CausalLanguageModel source, int layer) {
}
