package dev.evomerge.evolve.objective;

import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.merge.MergeOptions;
import dev.evomerge.merge.MergeReporter;
import dev.evomerge.merge.MergeSession;
import dev.evomerge.merge.plan.MergePlan;
import dev.evomerge.core.tensor.TensorInfo;

/**
 * The {@code params} cost: the number of parameters of the merged model, the element count of every tensor the merge
 * plan writes. The plan reads only the inputs' headers; it is kept while candidates share its layout (every candidate
 * of one genome does, so this is one plan per run) and made again for a candidate with another layout.
 */
public final class ParamsCost implements CostMeasure {

    public static final String NAME = "params";

    private final MergeOptions options;
    private MergeSession session;
    private long count;

    public ParamsCost(MergeOptions options) {
        this.options = options;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public synchronized double cost(Candidate candidate) {
        if (session == null || !session.plan().layoutMatches(candidate.config())) {
            close();
            session = MergeSession.open(candidate.config(), options, MergeReporter.silent());
            count = parameters(session.plan());
        }
        return count;
    }

    /** The element count of every output tensor of a plan. */
    public static long parameters(MergePlan plan) {
        long n = 0;
        for (TensorInfo t : plan.outputs()) {
            n += t.shape().numel();
        }
        return n;
    }

    @Override
    public synchronized void close() {
        if (session != null) {
            session.close();
            session = null;
        }
    }
}
