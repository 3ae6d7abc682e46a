package dev.evomerge.evolve.local;

import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.Evaluation;

/** One evaluation slot: merges a candidate and scores it; never throws for a failing candidate. */
interface CandidateWorker extends AutoCloseable {

    Evaluation evaluate(Candidate candidate);

    @Override
    void close();
}
