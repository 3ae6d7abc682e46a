package dev.evomerge.evolve.run;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.merge.config.MergeConfig;
import dev.evomerge.merge.config.MergeConfigReader;
import dev.evomerge.merge.config.MergeConfigWriter;

import java.util.Objects;

/**
 * One genome to evaluate: its place in the run, its genes, and the merge config they decode to. Workers merge the
 * config as it is; its YAML text is for the run store, the cluster's messages and the files a user reads.
 */
public record Candidate(int generation, int index, double[] genes, MergeConfig config) {

    public Candidate {
        Objects.requireNonNull(config, "config");
    }

    /**
     * A candidate rebuilt from the YAML text it was stored or sent as (the run store, a cluster message), read by the
     * one reader; the config keeps the text, so {@link #mergeYaml()} gives it back unchanged. A text that is not a
     * merge config is a usage error naming {@code source}.
     */
    public static Candidate fromYaml(int generation, int index, double[] genes, String mergeYaml, String source) {
        if (mergeYaml == null) {
            throw EvomergeException.usage(source + " has no merge YAML.");
        }
        return new Candidate(generation, index, genes, MergeConfigReader.parse(mergeYaml, source, w -> { }));
    }

    /** The config as merge YAML: the text it was read from (a candidate of a resumed run), else as written. */
    public String mergeYaml() {
        return config.sourceText() != null ? config.sourceText() : MergeConfigWriter.toYaml(config);
    }
}
