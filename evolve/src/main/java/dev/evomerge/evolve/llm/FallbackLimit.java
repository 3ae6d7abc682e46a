package dev.evomerge.evolve.llm;

import dev.evomerge.core.EvomergeException;

import java.util.function.Consumer;

/**
 * {@code --max-fallbacks N}: watches the strategy's exchanges and stops the run once N generations in a row fell back
 * to the best genome because the LLM gave no usable reply; otherwise the run would go on as a random search around
 * the best while still labelled llm. 0 never stops. Generations where every candidate failed (the LLM was not asked)
 * neither count nor reset.
 */
public final class FallbackLimit implements Consumer<LlmExchange> {

    private final int max;
    private int consecutive;

    public FallbackLimit(int max) {
        this.max = requireValid(max);
    }

    /** {@code max}, or a usage error naming --max-fallbacks if it is negative. */
    public static int requireValid(int max) {
        if (max < 0) {
            throw EvomergeException.usage("--max-fallbacks must be 0 (never stop) or more, got " + max + ".");
        }
        return max;
    }

    @Override
    public void accept(LlmExchange x) {
        if (LlmExchange.REPLY.equals(x.kind())) {
            consecutive = 0;
        } else if (LlmExchange.FALLBACK.equals(x.kind()) && x.attempt() > 0) {
            consecutive++;
            if (max > 0 && consecutive >= max) {
                throw EvomergeException.runtime("The LLM gave no usable reply for " + consecutive + " generation"
                        + (consecutive == 1 ? "" : "s") + " in a row (generation " + x.generation() + ": " + x.error()
                        + "); stopping the run. Check --llm-model, --llm-base-url and the server, or pass --max-fallbacks 0"
                        + " to keep going on fallbacks.", null);
            }
        }
    }

    /** Generations in a row that fell back so far. */
    public int consecutive() {
        return consecutive;
    }
}
