package dev.evomerge.evolve.run;

/** One genome to evaluate: its place in the run, its genes, and the merge YAML they decode to. */
public record Candidate(int generation, int index, double[] genes, String mergeYaml) implements java.io.Serializable {
}
