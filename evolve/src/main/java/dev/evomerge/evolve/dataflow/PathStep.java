package dev.evomerge.evolve.dataflow;

/**
 * One position of a data-flow path: decoder layer {@code layer} (0-based) of source model {@code model} (an index
 * into the run's source models), with the residual stream entering it multiplied by {@code scale} (1 = unchanged).
 */
public record PathStep(int model, int layer, double scale) {
}
