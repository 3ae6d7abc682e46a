package dev.evomerge.cluster;

import dev.evomerge.evolve.run.CandidateEvaluator;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.Evaluation;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A worker member's state, kept in its Hazelcast user context: up to {@code slots} evaluators per run, each used by
 * one task at a time, built on first use so a resident model is loaded once and reused across candidates.
 */
public final class WorkerRuntime {

    static final String KEY = "evomerge.worker";

    private final WorkerEvaluatorFactory factory;
    private final PathMap paths;
    private final int slots;
    private final String name;
    private String runId;
    private BlockingQueue<CandidateEvaluator> idle;
    private final AtomicInteger created = new AtomicInteger();
    private final List<CandidateEvaluator> all = new ArrayList<>();

    public WorkerRuntime(WorkerEvaluatorFactory factory, PathMap paths, int slots, String name) {
        this.factory = factory;
        this.paths = paths;
        this.slots = slots;
        this.name = name;
    }

    public PathMap paths() {
        return paths;
    }

    public int slots() {
        return slots;
    }

    /** Evaluates one candidate on a free evaluator of this run, building it if none is idle yet. */
    Evaluation evaluate(RunSpec spec, Candidate candidate) throws InterruptedException {
        BlockingQueue<CandidateEvaluator> pool = poolFor(spec);
        CandidateEvaluator ev = pool.poll();
        if (ev == null) {
            synchronized (this) {
                if (created.get() < slots) {
                    created.incrementAndGet();
                    ev = factory.create(spec, paths);
                    all.add(ev);
                }
            }
            if (ev == null) {
                ev = pool.take();
            }
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
            pool.add(ev);
        }
    }

    private synchronized BlockingQueue<CandidateEvaluator> poolFor(RunSpec spec) {
        if (!spec.runId().equals(runId)) {
            all.forEach(CandidateEvaluator::close);
            all.clear();
            created.set(0);
            idle = new ArrayBlockingQueue<>(slots);
            runId = spec.runId();
        }
        return idle;
    }

    public synchronized void close() {
        all.forEach(CandidateEvaluator::close);
        all.clear();
    }
}
