package dev.evomerge.evolve.llm;

import dev.evomerge.core.io.PythonFloat;

import java.util.List;

/**
 * The texts the LLM sees, in LLM-Evo-Merge's structure: one system message explaining the JSON reply and the four
 * genome axes, then per generation the best score so far and the top-k genomes of the latest generation in Python repr.
 * The wording is evomerge's own.
 */
final class Prompts {

    private Prompts() {
    }

    /** One shown candidate: its 1-based index in the generation, its fitness, and its genes in integer percent. */
    record Shown(int index, double fitness, int[] percent) {
    }

    static String system(int[] dims) {
        return system(dims, null);
    }

    /**
     * With a {@code genomeNote} (a data-flow genome), the note replaces the four axes' explanation: the genes are one
     * flat row whose meaning the note gives.
     */
    static String system(int[] dims, String genomeNote) {
        String d = "(" + dims[0] + ", " + dims[1] + ", " + dims[2] + ", " + dims[3] + ")";
        if (genomeNote != null) {
            return dataFlow(d, genomeNote);
        }
        return """
                You are the update step of an evolutionary search over recipes for merging language models. \
                After each generation you receive the best-scoring genomes and their fitness; you answer with the mean \
                genome from which the next generation's candidates will be sampled.

                Answer with one JSON object and nothing else, with two keys:
                - "thought": a short explanation of what the top genomes suggest and how you changed the mean.
                - "mean_genome": integers from 0 to 100, nested exactly like the genomes you are shown, with dimensions %s.
                Make "mean_genome" follow from "thought".

                Example answer (dimensions shortened):
                {"thought": "Genomes 2 and 5 score highest and give model 2 larger values in the upper layers, so I raised model 2 there.", \
                "mean_genome": [[[[45]], [[15]]], [[[38]], [[70]]]]}

                The four genome axes are:
                1. layer groups: consecutive blocks of transformer layers, from the input side to the output side;
                2. models: the fine-tuned models being merged, in a fixed order;
                3. parameter sets: groups of tensors selected by name filters, the last one covering all remaining tensors;
                4. parameters: the merge method's parameters for that model, layer group and tensor group (e.g. weight, density).
                Each value is a percentage of the parameter's range.

                Your mean genome must have dimensions %s and should aim to beat the highest fitness seen so far. \
                Higher fitness is better.""".formatted(d, d);
    }

    private static String dataFlow(String d, String note) {
        return """
                You are the update step of an evolutionary search over the path tokens take through the layers of \
                several language models (a data-flow merge). After each generation you receive the best-scoring \
                genomes and their fitness; you answer with the mean genome from which the next generation's \
                candidates will be sampled.

                Answer with one JSON object and nothing else, with two keys:
                - "thought": a short explanation of what the top genomes suggest and how you changed the mean.
                - "mean_genome": integers from 0 to 100, nested exactly like the genomes you are shown, with dimensions %s.
                Make "mean_genome" follow from "thought".

                The genome is one flat row of genes inside that nesting; what each gene means:
                %s
                Every value is an integer percent from 0 to 100: an inclusion gene is the probability, in percent, that \
                its position is on the path, and candidates are sampled around your mean and kept within 0..100.

                Your mean genome must have dimensions %s and should aim to beat the highest fitness seen so far. \
                Higher fitness is better.""".formatted(d, note.strip(), d);
    }

    static String user(int generation, double bestSoFar, List<Shown> top, int[] dims) {
        StringBuilder list = new StringBuilder("[");
        for (int i = 0; i < top.size(); i++) {
            Shown s = top.get(i);
            if (i > 0) {
                list.append(", ");
            }
            list.append("{'fitness_score': ").append(PythonFloat.repr(s.fitness()))
                    .append(", 'genome_").append(s.index()).append("': ")
                    .append(PythonRepr.ofNestedInts(s.percent(), dims)).append('}');
        }
        list.append(']');
        return """
                Generation %d:

                The highest fitness score:
                %s

                Top %d Genomes from Previous Generation (sorted by fitness score):
                %s

                From these %d genomes and their scores, give the next mean genome.""".formatted(
                generation, PythonFloat.repr(bestSoFar), top.size(), list, top.size());
    }

    static String correction(String problem, int[] dims) {
        return "Your answer could not be used: " + problem + "\nReply again with one JSON object with \"thought\" and "
                + "\"mean_genome\" (integers 0-100, dimensions (" + dims[0] + ", " + dims[1] + ", " + dims[2] + ", "
                + dims[3] + ")).";
    }
}
