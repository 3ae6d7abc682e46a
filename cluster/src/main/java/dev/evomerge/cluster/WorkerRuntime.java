package dev.evomerge.cluster;

import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.CandidateEvaluator;
import dev.evomerge.evolve.run.Evaluation;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Semaphore;

/**
 * A worker member's state, kept in its Hazelcast user context: at most {@code slots} evaluations at once, each on an
 * evaluator of its run, built on first use and kept idle between candidates so a resident model is loaded once and
 * reused for the rest of the run. When candidates of a new run arrive (a restarted coordinator), the old run's idle
 * evaluators are closed; those still evaluating (attempts their coordinator abandoned) keep their slot until they
 * finish and are closed then, so a worker never holds more than {@code slots} resident models.
 */
public final class WorkerRuntime {

    private final WorkerEvaluatorFactory factory;
    private final PathMap paths;
    private final int slots;
    private final String name;
    private final Semaphore free;
    private final Deque<CandidateEvaluator> idle = new ArrayDeque<>();
    private String runId;
    private boolean closed;

    public WorkerRuntime(WorkerEvaluatorFactory factory, PathMap paths, int slots, String name) {
        this.factory = factory;
        this.paths = paths;
        this.slots = slots;
        this.name = name;
        this.free = new Semaphore(slots, true);
    }

    public PathMap paths() {
        return paths;
    }

    public int slots() {
        return slots;
    }

    /** Evaluates one candidate in a free slot, on an idle evaluator of its run or a new one. */
    Evaluation evaluate(RunSpec spec, Candidate candidate) throws InterruptedException {
        free.acquire();
        try {
            CandidateEvaluator ev = idleFor(spec);
            if (ev == null) {
                ev = factory.create(spec, paths); // outside the lock: loading a resident model takes a while
            }
            try {
                Evaluation[] out = new Evaluation[1];
                ev.evaluate(List.of(candidate), e -> out[0] = e);
                Evaluation e = out[0];
                if (e == null) {
                    return Evaluation.failed(candidate, "the worker's evaluator returned no result", 0, 0, name);
                }
                return new Evaluation(e.candidate(), e.score(), e.metrics(), e.error(), e.mergeSeconds(), e.evalSeconds(), name);
            } finally {
                giveBack(spec, ev);
            }
        } finally {
            free.release();
        }
    }

    private synchronized CandidateEvaluator idleFor(RunSpec spec) {
        if (!spec.runId().equals(runId)) {
            idle.forEach(CandidateEvaluator::close);
            idle.clear();
            runId = spec.runId();
        }
        return idle.poll();
    }

    private synchronized void giveBack(RunSpec spec, CandidateEvaluator ev) {
        if (!closed && spec.runId().equals(runId)) {
            idle.push(ev);
        } else {
            ev.close();
        }
    }

    public synchronized void close() {
        closed = true;
        idle.forEach(CandidateEvaluator::close);
        idle.clear();
    }
}
