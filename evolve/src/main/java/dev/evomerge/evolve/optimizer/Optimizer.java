package dev.evomerge.evolve.optimizer;

import java.util.List;

/**
 * An ask/tell black-box maximiser over genes in [0, 1]^n. One generation: {@link #ask()} proposes candidates,
 * the caller evaluates them (in parallel, anywhere), {@link #tell} reports their fitness (higher is better;
 * a failed candidate scores negative infinity). {@link #state()} captures everything needed to resume.
 */
public interface Optimizer {

    /** The optimizer's name as the CLI spells it ("cmaes", "random", "llm"). */
    String name();

    /** Number of genes. */
    int dimension();

    /** The next generation's candidates; each array has {@link #dimension()} genes in [0, 1]. */
    List<double[]> ask();

    /** Fitness of the candidates last returned by {@link #ask()}, in the same order. */
    void tell(List<double[]> candidates, double[] fitness);

    /** A serialisable snapshot (a record of plain values) from which {@code restore} rebuilds this optimizer. */
    Record state();
}
