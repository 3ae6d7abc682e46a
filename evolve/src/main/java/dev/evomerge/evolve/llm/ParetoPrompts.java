package dev.evomerge.evolve.llm;

import dev.evomerge.core.io.PythonFloat;

import java.util.List;

/**
 * The texts the LLM sees when a run has several objectives: a system message explaining the objectives, the genome
 * axes and the JSON reply with K mean genomes, and per generation the whole non-dominated set so far (each member's
 * score on every objective and its genome in integer percent). Each prompt restates the front, so no earlier
 * generation is sent.
 */
final class ParetoPrompts {

    private ParetoPrompts() {
    }

    /** One front member as shown: its score on every objective (as the user reads it) and its genes in percent. */
    record Shown(double[] values, int[] percent) {
    }

    static String system(int[] dims, List<String> objectives, boolean[] minimised, int means) {
        String d = MeanGenomeReply.dimsText(dims);
        StringBuilder list = new StringBuilder();
        for (int i = 0; i < objectives.size(); i++) {
            list.append("- ").append(objectives.get(i)).append(minimised[i] ? ": smaller is better" : ": larger is better")
                    .append('\n');
        }
        return """
                You are the update step of a multi-objective evolutionary search over recipes for merging language \
                models. The objectives conflict, so there is no single best recipe: the search keeps the non-dominated \
                set (the Pareto front), the recipes that no other recipe beats on every objective at once. The objectives:
                %s
                After each generation you receive the current non-dominated set with every member's scores and genome. \
                You answer with %d mean genomes; the next generation's candidates are sampled around them, in equal shares. \
                Place them where the front is sparse: between members whose scores lie far apart, or beyond its ends, \
                so that the front gains members that trade the objectives in new ways.

                Answer with one JSON object and nothing else, with two keys:
                - "thought": a short explanation of where the front is sparse and how your means fill it.
                - "mean_genomes": a list of exactly %d genomes, each of integers from 0 to 100, nested exactly like the \
                genomes you are shown, with dimensions %s.

                The four genome axes are:
                1. layer groups: consecutive blocks of transformer layers, from the input side to the output side;
                2. models: the fine-tuned models being merged, in a fixed order;
                3. parameter sets: groups of tensors selected by name filters, the last one covering all remaining tensors;
                4. parameters: the merge method's parameters for that model, layer group and tensor group (e.g. weight, density).
                Each value is a percentage of the parameter's range.""".formatted(list, means, means, d);
    }

    static String user(int generation, List<String> objectives, List<Shown> front, int frontSize, int means, int[] dims) {
        StringBuilder list = new StringBuilder("[");
        for (int i = 0; i < front.size(); i++) {
            Shown s = front.get(i);
            if (i > 0) {
                list.append(",\n ");
            }
            list.append("{'scores': {");
            for (int j = 0; j < objectives.size(); j++) {
                if (j > 0) {
                    list.append(", ");
                }
                list.append('\'').append(objectives.get(j)).append("': ").append(PythonFloat.repr(s.values()[j]));
            }
            list.append("}, 'genome': ").append(PythonRepr.ofNestedInts(s.percent(), dims)).append('}');
        }
        list.append(']');
        String shown = front.size() == frontSize ? frontSize + " members"
                : front.size() + " of its " + frontSize + " members, the most isolated ones";
        return """
                Generation %d:

                The non-dominated set so far (%s, sorted by %s):
                %s

                Give %d mean genomes that extend this front where it is sparse.""".formatted(
                generation, shown, objectives.getFirst(), list, means);
    }

    static String correction(String problem, int means, int[] dims) {
        return "Your answer could not be used: " + problem + "\nReply again with one JSON object with \"thought\" and "
                + "\"mean_genomes\" (a list of exactly " + means + " genomes of integers 0-100, dimensions "
                + MeanGenomeReply.dimsText(dims) + ").";
    }
}
