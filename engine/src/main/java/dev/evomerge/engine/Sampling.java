package dev.evomerge.engine;

/** How the next token is chosen during generation. */
public sealed interface Sampling {

    /** Always the most likely token (ties: the lowest id), i.e. temperature 0. */
    record Greedy() implements Sampling {
    }

    /**
     * Sample from softmax(logits / temperature), optionally restricted to the {@code topK} most likely tokens
     * (0 = no limit) and to the smallest set whose probability reaches {@code topP} (1.0 = no limit).
     * The same seed, prompt and model give the same tokens.
     */
    record Random(double temperature, double topP, int topK, long seed) implements Sampling {
        public Random {
            if (!(temperature > 0) || !(topP > 0 && topP <= 1) || topK < 0) {
                throw new IllegalArgumentException("need temperature > 0, 0 < topP <= 1, topK >= 0; got "
                        + temperature + ", " + topP + ", " + topK);
            }
        }
    }

    static Sampling greedy() {
        return new Greedy();
    }

    /** Plain temperature sampling (no top-k/top-p). */
    static Sampling temperature(double temperature, long seed) {
        return new Random(temperature, 1.0, 0, seed);
    }
}
