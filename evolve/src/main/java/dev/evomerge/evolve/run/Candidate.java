package dev.evomerge.evolve.run;

import dev.evomerge.merge.config.MergeConfig;

import java.util.Objects;

/**
 * One genome to evaluate: its place in the run, its genes, and the merge recipe they decode to. Workers merge the
 * typed config as it is; its YAML text is for the run store, the cluster's messages and the files a user reads.
 */
public record Candidate(int generation, int index, double[] genes, Recipe recipe) {

    public Candidate {
        Objects.requireNonNull(recipe, "recipe");
    }

    /** A candidate of a decoded config. */
    public Candidate(int generation, int index, double[] genes, MergeConfig config) {
        this(generation, index, genes, Recipe.of(config));
    }

    /**
     * A candidate rebuilt from the YAML text it was sent as (a cluster message), read now by the one reader, so that
     * a text that is not a merge config is refused where it arrives, with a usage error naming {@code source}. The
     * config keeps the text, so {@link #mergeYaml()} gives it back unchanged.
     */
    public static Candidate fromYaml(int generation, int index, double[] genes, String mergeYaml, String source) {
        Candidate c = stored(generation, index, genes, mergeYaml, source);
        c.config();
        return c;
    }

    /** A candidate of a run store row: its text is read only if the candidate is merged again (see {@link Recipe}). */
    public static Candidate stored(int generation, int index, double[] genes, String mergeYaml, String source) {
        return new Candidate(generation, index, genes, Recipe.ofText(mergeYaml, source));
    }

    /** The typed config (read from the text on first use for a stored candidate). */
    public MergeConfig config() {
        return recipe.config();
    }

    /** The config as merge YAML: the text it was read from (a candidate of a resumed run), else as written. */
    public String mergeYaml() {
        return recipe.yaml();
    }
}
