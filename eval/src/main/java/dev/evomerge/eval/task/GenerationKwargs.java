package dev.evomerge.eval.task;

import java.util.List;
import java.util.Map;

/**
 * {@code generation_kwargs} of a generate_until task.
 *
 * @param until       stop strings (lm-eval defaults to the few-shot delimiter)
 * @param maxGenToks  most tokens to generate (default 256)
 * @param doSample    sample instead of greedy decoding
 * @param temperature sampling temperature (0 = greedy)
 * @param topP        nucleus cut-off (1 = none)
 * @param topK        top-k cut-off (0 = none)
 * @param raw         every key as written, for the results' configs
 */
public record GenerationKwargs(List<String> until, int maxGenToks, boolean doSample, double temperature,
                               double topP, int topK, Map<String, Object> raw) {

    public static final int DEFAULT_MAX_GEN_TOKS = 256;

    public GenerationKwargs {
        until = List.copyOf(until);
        raw = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(raw));
    }

    /** Whether decoding samples (do_sample with a positive temperature). */
    public boolean sampling() {
        return doSample && temperature > 0;
    }
}
