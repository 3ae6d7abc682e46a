package dev.evomerge.server;

import dev.evomerge.engine.Sampling;

import java.util.OptionalLong;

/**
 * The sampling fields of a request. Temperature 0 is greedy decoding; otherwise tokens are drawn from the seeded
 * generator ({@code seed}, or a fresh random seed per request when absent).
 */
record SamplingParams(double temperature, double topP, int topK, OptionalLong seed) {

    static SamplingParams read(Fields f) {
        double temperature = f.number("temperature", 0, 2).orElse(1.0);
        double topP = f.number("top_p", 0, 1).orElse(1.0);
        if (topP == 0) {
            throw ApiException.invalid("'top_p' must be greater than 0.", "top_p");
        }
        int topK = f.integer("top_k", -1, Integer.MAX_VALUE).orElse(-1);
        OptionalLong seed = f.longValue("seed", Long.MIN_VALUE, Long.MAX_VALUE);
        return new SamplingParams(temperature, topP, Math.max(topK, 0), seed);
    }

    boolean greedy() {
        return temperature == 0;
    }

    /** The engine's sampling; {@code salt} varies the seed between decoding restarts of one request. */
    Sampling toSampling(long fallbackSeed, long salt) {
        if (greedy()) {
            return Sampling.greedy();
        }
        return new Sampling.Random(temperature, topP, topK, seed.orElse(fallbackSeed) + salt);
    }
}
