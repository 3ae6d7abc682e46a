package dev.evomerge.eval.model;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.engine.chat.ChatMessage;

import java.util.List;
import java.util.Map;

/**
 * The evaluation view of a model, on text: lm-eval's three request types. The embedded engine and any
 * OpenAI-compatible completions server implement it through {@link TokenizedLanguageModel}; tests use small fakes.
 * Results come back in request order.
 */
public interface LanguageModel extends AutoCloseable {

    /** A name for results ({@code config.model}) and messages. */
    String name();

    /** Summed log-probability of each continuation after its context, and whether it is the greedy answer. */
    List<LoglikelihoodAnswer> loglikelihood(List<LoglikelihoodQuery> queries, Progress progress);

    /** Log-probability of each whole text (lm-eval loglikelihood_rolling), for perplexity. */
    List<Double> loglikelihoodRolling(List<String> texts, Progress progress);

    /** The generated continuation of each context, cut before the first stop string. */
    List<String> generate(List<GenerationQuery> queries, Progress progress);

    /** Renders chat turns with the model's chat template (--apply-chat-template). */
    default String applyChatTemplate(List<ChatMessage> messages, boolean addGenerationPrompt) {
        throw EvomergeException.usage("model " + name() + " has no chat template, so --apply-chat-template cannot be used");
    }

    /**
     * How many tokens this model has run through its backend since it was built (context and continuation tokens of
     * the requests it scored), or empty when it cannot tell (a test fake).
     */
    default java.util.OptionalLong tokensScored() {
        return java.util.OptionalLong.empty();
    }

    /** Model settings for the results' {@code config} section (model_args and the like). */
    default Map<String, Object> describe() {
        return Map.of();
    }

    @Override
    default void close() {
    }
}
