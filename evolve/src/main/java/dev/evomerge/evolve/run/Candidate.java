package dev.evomerge.evolve.run;

import dev.evomerge.merge.config.MergeConfig;
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

    /** The config as merge YAML: the text it was read from (a candidate of a resumed run), else as written. */
    public String mergeYaml() {
        return config.sourceText() != null ? config.sourceText() : MergeConfigWriter.toYaml(config);
    }
}
