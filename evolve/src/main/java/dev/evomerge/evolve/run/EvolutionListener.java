package dev.evomerge.evolve.run;

import dev.evomerge.evolve.llm.LlmExchange;

/** Progress of a run, for progress bars and logs; nothing in evolve prints. All methods default to doing nothing. */
public interface EvolutionListener {

    default void generationStarted(int generation, int candidates, int alreadyEvaluated) {
    }

    default void candidateDone(Evaluation evaluation) {
    }

    /** A generation is evaluated, told to the optimizer and saved; its statistics count every candidate of it. */
    default void generationDone(GenerationStats stats) {
    }

    default void newBest(Evaluation evaluation) {
    }

    /** One line about how fitness was obtained (estimated fitness: a generation's tokens, calibration, full checks). */
    default void fitnessNote(String line) {
    }

    /** An LLM request's outcome or a fallback (llm optimizer only), already stored; secrets are redacted. */
    default void llmExchange(LlmExchange exchange) {
    }
}
