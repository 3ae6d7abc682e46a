package dev.evomerge.evolve.pareto;

/** One candidate on a Pareto front: its genes in [0, 1] and its objective vector (all maximised). */
public record FrontMember(double[] genes, double[] objectives) {
}
