package dev.evomerge.cluster;

import dev.evomerge.evolve.run.CandidateEvaluator;

/** Builds a worker's evaluator for a run (e.g. one resident model and the embedded evaluation engine). */
@FunctionalInterface
public interface WorkerEvaluatorFactory {

    CandidateEvaluator create(RunSpec spec, PathMap paths);
}
