package dev.evomerge.evolve.pool;

import dev.evomerge.evolve.local.EvaluationSettings;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.CandidateEvaluator;
import dev.evomerge.evolve.run.Evaluation;

import java.util.List;
import java.util.function.Consumer;

/**
 * A cluster worker's servers ({@code worker --eval-server URL}): its slots share one pool, so each candidate sent to
 * the worker goes to a free server of it. A new run (a restarted coordinator) gets a new pool; the old one is closed.
 */
public final class WorkerServerPool implements AutoCloseable {

    private final ServerPoolOptions options;
    private final Consumer<String> warnings;
    private String runId;
    private ServerPoolEvaluator pool;

    public WorkerServerPool(ServerPoolOptions options, Consumer<String> warnings) {
        options.check();
        this.options = options;
        this.warnings = warnings;
    }

    /** An evaluator for one slot of the run: it hands candidates to the shared pool and closes nothing itself. */
    public synchronized CandidateEvaluator forRun(String run, EvaluationSettings settings) {
        if (!run.equals(runId)) {
            if (pool != null) {
                pool.close();
            }
            pool = new ServerPoolEvaluator(settings, options, warnings);
            runId = run;
        }
        ServerPoolEvaluator shared = pool;
        return new CandidateEvaluator() {
            @Override
            public void evaluate(List<Candidate> candidates, Consumer<Evaluation> done) {
                shared.evaluate(candidates, done);
            }
        };
    }

    @Override
    public synchronized void close() {
        if (pool != null) {
            pool.close();
        }
    }
}
