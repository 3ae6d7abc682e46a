package dev.evomerge.evolve;

/**
 * The LLM optimizer's settings: the chat model and endpoint, what each prompt shows, how genomes are sampled around
 * its proposals, and how many unusable replies are tolerated. The API key is held only to build the chat client; it is
 * never written to the run store.
 *
 * @param baseUrl          OpenAI-compatible endpoint (null = https://api.openai.com/v1)
 * @param apiKey           null = OPENAI_API_KEY
 * @param history          messages of history sent after the system prompt; 0 = all
 * @param maxContextTokens the conversation's token budget (null = the local model's context, else 32768)
 * @param pricePerMtok     "IN,OUT": prices of a million prompt and completion tokens, for a cost estimate (null = none)
 */
public record LlmOptions(String model, String baseUrl, String apiKey, int topK, int history, double sigmaLow,
                         double sigmaHigh, int maxRetries, int maxFallbacks, Integer maxContextTokens,
                         String pricePerMtok) {

    /** The defaults, which --help shows and every command that runs an evolution takes. */
    public static final String MODEL = "gpt-4o";
    public static final int TOP_K = 4;
    public static final int HISTORY = 0;
    public static final double SIGMA_LOW = 0.05;
    public static final double SIGMA_HIGH = 0.2;
    public static final int MAX_RETRIES = 3;
    public static final int MAX_FALLBACKS = 3;

    /** The defaults, with this model, endpoint and key. */
    public static LlmOptions of(String model, String baseUrl, String apiKey) {
        return new LlmOptions(model, baseUrl, apiKey, TOP_K, HISTORY, SIGMA_LOW, SIGMA_HIGH, MAX_RETRIES, MAX_FALLBACKS,
                null, null);
    }
}
