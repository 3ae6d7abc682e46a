package dev.evomerge.evolve.run;

import dev.evomerge.eval.DocumentScores;

import java.util.List;
import java.util.OptionalLong;

/**
 * A candidate's evaluation with what an estimated fitness needs besides its metrics: the per-document values the
 * evaluation scored (every plain-number metric of every task, for the documents it ran) and how many tokens it ran
 * through the model.
 *
 * @param documents    per-document values; empty for a failed evaluation
 * @param tokensScored context and continuation tokens the model read for this candidate; empty where the backend
 *                     cannot tell
 */
public record ScoredEvaluation(Evaluation evaluation, List<DocumentScores> documents, OptionalLong tokensScored) {

    public ScoredEvaluation {
        documents = List.copyOf(documents);
    }

    /** An evaluation that carries nothing but its metrics (an evaluator that cannot report documents). */
    public static ScoredEvaluation of(Evaluation e) {
        return new ScoredEvaluation(e, List.of(), OptionalLong.empty());
    }
}
