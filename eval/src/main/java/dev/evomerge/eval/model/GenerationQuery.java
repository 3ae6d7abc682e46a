package dev.evomerge.eval.model;

import java.util.List;

/**
 * lm-eval's {@code generate_until} request on text.
 *
 * @param context     the prompt
 * @param until       stop strings; the answer is cut before the first one
 * @param maxGenToks  most tokens to generate
 * @param temperature 0 for greedy decoding
 * @param topP        nucleus cut-off (1 = none)
 * @param topK        top-k cut-off (0 = none)
 * @param seed        sampling seed (ignored when greedy)
 */
public record GenerationQuery(String context, List<String> until, int maxGenToks, double temperature, double topP,
                              int topK, long seed) {

    public GenerationQuery {
        until = List.copyOf(until);
    }

    /** Greedy decoding. */
    public static GenerationQuery greedy(String context, List<String> until, int maxGenToks) {
        return new GenerationQuery(context, until, maxGenToks, 0, 1, 0, 0);
    }

    /** The same decoding settings for another prompt. */
    public GenerationQuery withContext(String newContext) {
        return new GenerationQuery(newContext, until, maxGenToks, temperature, topP, topK, seed);
    }

    /** Cuts a generated text at the earliest stop string, as lm-eval does ({@code s.split(term)[0]} per term). */
    public String cut(String generated) {
        String s = generated;
        for (String term : until) {
            if (!term.isEmpty()) {
                int i = s.indexOf(term);
                if (i >= 0) {
                    s = s.substring(0, i);
                }
            }
        }
        return s;
    }
}
