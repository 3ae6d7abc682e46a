package dev.evomerge.evolve.objective;

import dev.evomerge.evolve.run.Candidate;

/**
 * How a cost objective (minimised) is measured on a candidate's recipe, where the run is coordinated: from the typed
 * config, not from the evaluation's results. {@code params} ({@link ParamsCost}) is the one there is; a data-flow
 * path's {@code layers} is meant to become another implementation once data-flow genomes exist.
 */
public interface CostMeasure extends AutoCloseable {

    /** The objective's name ("params"). */
    String name();

    /** The candidate's cost; throws IllegalArgumentException (the candidate then fails) when it cannot be measured. */
    double cost(Candidate candidate);

    /** Releases what the measure holds open (a planned merge's models); by default nothing. */
    @Override
    default void close() {
    }
}
