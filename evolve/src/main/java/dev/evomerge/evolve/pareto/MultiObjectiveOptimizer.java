package dev.evomerge.evolve.pareto;

import java.util.List;

/**
 * An ask/tell black-box optimizer of several objectives over genes in [0, 1]^n, the multi-objective counterpart of
 * {@code dev.evomerge.evolve.optimizer.Optimizer}. {@link #ask()} proposes a generation, the caller evaluates it,
 * {@link #tell} reports one objective vector per candidate. Every objective is maximised (a cost is negated by the
 * caller); a failed candidate's vector is negative infinity (or NaN) and is dominated by every other.
 * {@link #state()} captures everything needed to resume.
 */
public interface MultiObjectiveOptimizer {

    /** The optimizer's name as the CLI spells it ("nsga2"). */
    String name();

    /** Number of genes. */
    int dimension();

    /** Number of objectives in each vector given to {@link #tell}. */
    int objectiveCount();

    /** The next generation's candidates; each array has {@link #dimension()} genes in [0, 1]. */
    List<double[]> ask();

    /** One objective vector per candidate, in the candidates' order ({@code objectives[k]} belongs to candidate k). */
    void tell(List<double[]> candidates, double[][] objectives);

    /** A serialisable snapshot (a record of plain values) from which a constructor rebuilds this optimizer. */
    Record state();

    /** The non-dominated members the optimizer holds now (none before the first {@link #tell}, none if all failed). */
    List<FrontMember> front();
}
