package dev.evomerge.evolve.run;

import java.util.List;
import java.util.function.Consumer;

/**
 * Genes in, scores out, for one generation at a time. A local worker pool and a Hazelcast cluster implement it.
 * Implementations never throw for a failing candidate: they report it as a failed {@link Evaluation}.
 */
public interface CandidateEvaluator extends AutoCloseable {

    /**
     * Evaluates the candidates (in any order, in parallel where possible); {@code done} is called once per candidate
     * as soon as its result is known, so the run store records it before the generation ends.
     */
    void evaluate(List<Candidate> candidates, Consumer<Evaluation> done);

    @Override
    default void close() {
    }
}
