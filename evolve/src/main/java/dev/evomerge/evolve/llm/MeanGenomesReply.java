package dev.evomerge.evolve.llm;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * A validated reply with several mean genomes (a run with several objectives): the thought and exactly the number of
 * genomes asked for, each as flat percentages checked as {@link MeanGenomeReply} checks one.
 */
record MeanGenomesReply(String thought, List<double[]> meansPercent) {

    static MeanGenomesReply parse(String content, int[] dims, int count) throws MeanGenomeReply.Invalid {
        JsonNode root = MeanGenomeReply.object(content);
        JsonNode means = root.get("mean_genomes");
        if (means == null) {
            throw new MeanGenomeReply.Invalid("the key \"mean_genomes\" is missing.");
        }
        if (!means.isArray() || means.size() != count) {
            throw new MeanGenomeReply.Invalid("\"mean_genomes\" must be a list of exactly " + count + " genomes"
                    + (means.isArray() ? ", got " + means.size() + "." : "."));
        }
        List<double[]> out = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            try {
                out.add(MeanGenomeReply.genome(means.get(k), dims));
            } catch (MeanGenomeReply.Invalid bad) {
                throw new MeanGenomeReply.Invalid("genome " + (k + 1) + " of \"mean_genomes\": " + bad.getMessage());
            }
        }
        return new MeanGenomesReply(MeanGenomeReply.thought(root), out);
    }
}
