package dev.evomerge.engine;

import java.util.Arrays;
import java.util.Set;

/**
 * One prompt to continue.
 *
 * @param prompt       token ids (not empty); must leave room for at least one token in the context length
 * @param maxTokens    the most tokens to generate (at least 1); generation also ends when the context is full
 * @param stopTokenIds tokens that end generation (typically the EOS ids); the stop token is included in the output
 * @param stop         a caller's stop test on the generated tokens
 * @param sampling     greedy or seeded sampling
 * @param topLogprobs  how many alternatives to report with each generated token (0 for none)
 * @param listener     told about each token as it is generated
 */
public record GenerationRequest(int[] prompt, int maxTokens, Set<Integer> stopTokenIds, StopCondition stop,
                                Sampling sampling, int topLogprobs, TokenListener listener) {

    public GenerationRequest {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("generation prompt is empty");
        }
        if (maxTokens < 1 || topLogprobs < 0) {
            throw new IllegalArgumentException("need maxTokens >= 1 and topLogprobs >= 0");
        }
        prompt = prompt.clone();
        stopTokenIds = Set.copyOf(stopTokenIds);
    }

    /** Greedy decoding until a stop token or {@code maxTokens}. */
    public static GenerationRequest greedy(int[] prompt, int maxTokens, Set<Integer> stopTokenIds) {
        return new GenerationRequest(prompt, maxTokens, stopTokenIds, StopCondition.NEVER, Sampling.greedy(), 0,
                TokenListener.NONE);
    }

    public GenerationRequest withStop(StopCondition s) {
        return new GenerationRequest(prompt, maxTokens, stopTokenIds, s, sampling, topLogprobs, listener);
    }

    public GenerationRequest withSampling(Sampling s) {
        return new GenerationRequest(prompt, maxTokens, stopTokenIds, stop, s, topLogprobs, listener);
    }

    public GenerationRequest withTopLogprobs(int n) {
        return new GenerationRequest(prompt, maxTokens, stopTokenIds, stop, sampling, n, listener);
    }

    public GenerationRequest withListener(TokenListener l) {
        return new GenerationRequest(prompt, maxTokens, stopTokenIds, stop, sampling, topLogprobs, l);
    }

    @Override
    public int[] prompt() {
        return prompt.clone();
    }

    @Override
    public String toString() {
        return "GenerationRequest[prompt=" + Arrays.toString(prompt) + ", maxTokens=" + maxTokens + ", sampling="
                + sampling + "]";
    }
}
