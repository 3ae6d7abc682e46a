package dev.evomerge.evolve;

import java.nio.file.Path;
import java.util.List;

/**
 * The options of {@code evomerge evolve} (the seed's, plus evomerge's), as plain values. The API key is held here only
 * to build the chat client; it is never written to the run store.
 *
 * @param sigma0  CMA-ES's initial step size (null = 1/6, mergekit-evolve's default)
 * @param timeout seconds one candidate's local evaluation may take before it is recorded as failed (null = no limit)
 * @param llmMaxContextTokens the LLM conversation's token budget (null = the local model's context, else 32768)
 * @param llmPricePerMtok     "IN,OUT": prices of a million prompt and completion tokens, for a cost estimate (null = none)
 */
public record EvolveOptions(Path genomeFile, Path storage, int maxGeneration, double sigmaLow, double sigmaHigh,
                            int maxRetries, String apiKey, String llmModel, String llmBaseUrl, int topK, int llmHistory,
                            boolean elitism, String optimizer, String strategy, boolean inMemory,
                            List<Path> taskSearchPaths, Path dataDir, int batchSize, long randomSeed,
                            Integer forcePopulationSize, boolean saveFinalModel, boolean allowBenchmarkTasks,
                            Integer maxEvaluations, boolean resume, int numWorkers, String backend, String evalServerCmd,
                            int threads, boolean allowCrimes, Double sigma0, Long timeout,
                            int maxFallbacks, Integer llmMaxContextTokens, String llmPricePerMtok) {

    public EvolveOptions {
        taskSearchPaths = List.copyOf(taskSearchPaths);
    }
}
