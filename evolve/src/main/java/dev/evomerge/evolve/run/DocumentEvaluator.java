package dev.evomerge.evolve.run;

import dev.evomerge.eval.DocumentChoice;

import java.util.List;
import java.util.function.Consumer;

/**
 * A {@link CandidateEvaluator} that can evaluate candidates on chosen documents of each task and report their
 * per-document values and tokens scored: what an estimated fitness (docs/evolution.md, "Estimated fitness") needs. The
 * local evaluator is one; a cluster is not.
 */
public interface DocumentEvaluator extends CandidateEvaluator {

    /**
     * Evaluates the candidates on the documents {@code choice} names (all documents of a task it does not name);
     * {@code done} is called once per candidate, as {@link CandidateEvaluator#evaluate} does.
     */
    void evaluate(List<Candidate> candidates, DocumentChoice choice, Consumer<ScoredEvaluation> done);
}
