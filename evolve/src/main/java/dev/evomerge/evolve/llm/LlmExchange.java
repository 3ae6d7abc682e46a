package dev.evomerge.evolve.llm;

import java.util.List;

/**
 * One LLM call of the evolution strategy, for the run store: what was sent, what came back, what was used.
 * {@code error} says why the reply was rejected (null if accepted); {@code fallback} marks a generation whose mean
 * fell back to the best genome after the retries ran out.
 */
public record LlmExchange(int generation, int attempt, List<ChatMessage> sent, String reply, String thought,
                          long latencyMillis, String error, boolean fallback) {
}
