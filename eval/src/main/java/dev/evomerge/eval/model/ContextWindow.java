package dev.evomerge.eval.model;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.engine.LoglikelihoodRequest;
import dev.evomerge.engine.RollingWindows;

import java.util.Arrays;
import java.util.List;

/**
 * How every request is fitted into {@code --max-length} tokens, one rule for all backends, so that the same
 * {@code --max-length} gives the same token sequences (and therefore the same numbers) on the in-JVM engine and on
 * a completions server. {@code maxLength} counts the tokens the model reads in one pass, as lm-eval's hf backend
 * counts {@code max_length}:
 * <ul>
 *   <li>a loglikelihood request keeps the last {@code maxLength + 1} tokens of context+continuation (the last token
 *       is only predicted); a continuation longer than {@code maxLength} is an error;</li>
 *   <li>a rolling (perplexity) document is split into lm-eval's disjoint windows of {@code maxLength} predicted
 *       tokens ({@link RollingWindows});</li>
 *   <li>a generation prompt keeps its last {@code maxLength - max_gen_toks} tokens.</li>
 * </ul>
 * A completions server scores a window of {@code maxLength + 1} prompt tokens plus the one token lm-eval asks it to
 * generate, so it needs {@code maxLength + 2} positions; see {@link OpenAiCompletionsScorer#maxLength()}.
 */
public record ContextWindow(int maxLength) {

    public ContextWindow {
        if (maxLength < 1) {
            throw EvomergeException.usage("--max-length must be at least 1, got " + maxLength);
        }
    }

    /** The request as the model sees it: context+continuation left-truncated to {@code maxLength + 1} tokens. */
    public LoglikelihoodRequest fit(LoglikelihoodRequest r) {
        int continuation = r.continuation().length;
        if (continuation > maxLength) {
            throw EvomergeException.usage("a continuation of " + continuation + " tokens does not fit a window of "
                    + maxLength + " tokens (--max-length); raise --max-length or shorten the task's targets");
        }
        return r.fittedTo(maxLength);
    }

    /** lm-eval's disjoint rolling windows of a document, each fitting this window. */
    public List<LoglikelihoodRequest> rolling(int[] tokens, int prefixToken) {
        return RollingWindows.of(tokens, prefixToken, maxLength);
    }

    /**
     * The last {@code maxLength - maxGenToks} tokens of a generation prompt, so that prompt and generation fit.
     *
     * @param model named in the error when max_gen_toks leaves no room
     */
    public int[] generationPrompt(int[] prompt, int maxGenToks, String model) {
        int room = maxLength - maxGenToks;
        if (room < 1) {
            throw EvomergeException.usage("max_gen_toks " + maxGenToks + " leaves no room for the prompt in model "
                    + model + "'s window of " + maxLength + " tokens (--max-length)");
        }
        return prompt.length > room ? Arrays.copyOfRange(prompt, prompt.length - room, prompt.length) : prompt;
    }
}
