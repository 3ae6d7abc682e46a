package dev.evomerge.evolve.local;

import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.Evaluation;

/** One evaluation slot: merges a candidate and scores it; never throws for a failing candidate. */
interface CandidateWorker extends AutoCloseable {

    /** Merges and scores a candidate, stopping once {@code deadline} has passed (see {@link Deadline}). */
    Evaluation evaluate(Candidate candidate, Deadline deadline);

    /** The scorer this slot evaluates with (one per slot, used by one candidate at a time). */
    TaskScorer scorer();

    default Evaluation evaluate(Candidate candidate) {
        return evaluate(candidate, Deadline.NONE);
    }

    @Override
    void close();
}
