package dev.evomerge.eval.model;

import dev.evomerge.engine.LoglikelihoodRequest;
import dev.evomerge.engine.LoglikelihoodResult;

import java.util.List;
import java.util.Map;

/**
 * A backend on token ids behind {@link TokenizedLanguageModel}: the in-JVM engine, or an OpenAI-compatible
 * completions server. Results in request order.
 */
public interface TokenScorer extends AutoCloseable {

    /**
     * The largest window this backend can score, in tokens the model reads at once as {@link ContextWindow} counts
     * them (the most that {@code --max-length} may be).
     */
    int maxLength();

    /** lm-eval loglikelihood on token ids (requests with equal contexts should share their computation). */
    List<LoglikelihoodResult> loglikelihood(List<LoglikelihoodRequest> requests);

    /** Generates after each prompt; returns the decoded text (stop strings may still be in it). */
    List<String> generate(List<TokenGeneration> requests);

    /** What to record as the model in results. */
    Map<String, Object> describe();

    @Override
    default void close() {
    }

    /** One generation on token ids. */
    record TokenGeneration(int[] prompt, GenerationQuery query) {
        public TokenGeneration {
            prompt = prompt.clone();
        }

        @Override
        public int[] prompt() {
            return prompt.clone();
        }
    }
}
