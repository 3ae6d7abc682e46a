package dev.evomerge.evolve.pareto;

/**
 * One candidate on a Pareto front: its genes in [0, 1] and its objective vector (all maximised). Being arrays, the
 * components compare by identity in {@code equals}; compare their contents.
 */
public record FrontMember(double[] genes, double[] objectives) {
}
