package dev.evomerge.cli;

import dev.evomerge.evolve.LlmOptions;
import picocli.CommandLine.Option;

/** The LLM optimizer's options, shared by {@code evolve} and {@code demo}; {@link #options()} builds them once. */
final class LlmCliOptions {

    @Option(names = "--llm-model", defaultValue = LlmOptions.MODEL, description = "Chat model, or local:DIR for a local instruct model (default: ${DEFAULT-VALUE}).")
    String model;
    @Option(names = "--llm-base-url", description = "OpenAI-compatible endpoint (default: https://api.openai.com/v1).")
    String baseUrl;
    @Option(names = "--api-key", description = "LLM API key (else OPENAI_API_KEY). Never stored.")
    String apiKey;
    @Option(names = "--top-k", defaultValue = "" + LlmOptions.TOP_K, description = "llm: genomes shown per generation (default: ${DEFAULT-VALUE}).")
    int topK;
    @Option(names = "--llm-history", defaultValue = "" + LlmOptions.HISTORY, description = "llm: messages of history sent after the system prompt; 0 = all.")
    int history;
    @Option(names = "--sigma-low", defaultValue = "" + LlmOptions.SIGMA_LOW, description = "llm: sampling sigma after an improvement (default: ${DEFAULT-VALUE}).")
    double sigmaLow;
    @Option(names = "--sigma-high", defaultValue = "" + LlmOptions.SIGMA_HIGH, description = "llm: sampling sigma otherwise (default: ${DEFAULT-VALUE}).")
    double sigmaHigh;
    @Option(names = "--max-retries", defaultValue = "" + LlmOptions.MAX_RETRIES, description = "llm: attempts per generation for a usable reply (default: ${DEFAULT-VALUE}).")
    int maxRetries;
    @Option(names = "--max-fallbacks", defaultValue = "" + LlmOptions.MAX_FALLBACKS, description = "llm: stop (exit 1) after this many"
            + " generations in a row without a usable reply; 0 = never (default: ${DEFAULT-VALUE}).")
    int maxFallbacks;
    @Option(names = "--llm-max-context-tokens", paramLabel = "TOKENS", description = "llm: token budget of the conversation;"
            + " the oldest generations are trimmed to fit (default: the local model's context, else 32768).")
    Integer maxContextTokens;
    @Option(names = "--llm-price-per-mtok", paramLabel = "IN,OUT", description = "llm: prices of a million prompt and"
            + " completion tokens, to estimate the run's cost (e.g. 2.5,10).")
    String pricePerMtok;

    LlmOptions options() {
        return new LlmOptions(model, baseUrl, apiKey, topK, history, sigmaLow, sigmaHigh, maxRetries, maxFallbacks,
                maxContextTokens, pricePerMtok);
    }

    /** Whether an LLM can be reached: a key (given or in OPENAI_API_KEY), an endpoint, or a local model. */
    boolean configured() {
        return apiKey != null || System.getenv("OPENAI_API_KEY") != null || baseUrl != null || model.startsWith("local:");
    }
}
