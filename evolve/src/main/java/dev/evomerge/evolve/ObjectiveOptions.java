package dev.evomerge.evolve;

import java.util.List;

/**
 * The options of a multi-objective run ({@code evolve --objectives}): kept apart from {@link EvolveOptions}, so that a
 * run without them is built exactly as before.
 *
 * @param objectives the objective specs as given ("task", "task/metric", "params"); null = none on the command line
 *                   (then the genome file's {@code objectives:} list, else a single-objective run)
 * @param llmMeans   the llm strategy's mean genomes per generation (null = {@link #LLM_MEANS}, or the resumed run's)
 */
public record ObjectiveOptions(List<String> objectives, Integer llmMeans) {

    /** Mean genomes the LLM proposes per generation when not given. */
    public static final int LLM_MEANS = 2;

    /** Nothing given: the genome file decides. */
    public static final ObjectiveOptions NONE = new ObjectiveOptions(null, null);

    public ObjectiveOptions {
        objectives = objectives == null ? null : List.copyOf(objectives);
    }
}
