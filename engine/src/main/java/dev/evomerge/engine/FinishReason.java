package dev.evomerge.engine;

/** Why generation ended. */
public enum FinishReason {
    /** A token in {@link GenerationRequest#stopTokenIds()} was generated (it is the last token). */
    STOP_TOKEN,
    /** The caller's {@link StopCondition} returned true. */
    STOP_CONDITION,
    /** {@link GenerationRequest#maxTokens()} tokens were generated. */
    LENGTH,
    /** The sequence reached the model's context length. */
    CONTEXT_FULL
}
