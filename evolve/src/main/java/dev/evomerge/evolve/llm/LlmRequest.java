package dev.evomerge.evolve.llm;

import dev.evomerge.engine.chat.ChatMessage;
import dev.evomerge.evolve.optimizer.RandomStreams;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * What both LLM strategies do alike: the uniform first population, and one request of a generation with its transient
 * retries reported as {@link LlmExchange#RETRY} and a request that failed for good as {@link LlmExchange#ERROR}.
 */
final class LlmRequest {

    /** A completion and how long its request took. */
    record Answer(ChatClient.Completion completion, long millis) {
        String text() {
            return completion.text();
        }

        TokenUsage usage() {
            return completion.usage();
        }
    }

    private LlmRequest() {
    }

    /** The first population: uniform on [0, 1]^n from the run's seed (the same for both strategies). */
    static List<double[]> uniformPopulation(long seed, int populationSize, int n) {
        SplittableRandom rng = RandomStreams.forGeneration(seed, "llm-initial", 0);
        List<double[]> pop = new ArrayList<>();
        for (int k = 0; k < populationSize; k++) {
            double[] x = new double[n];
            for (int i = 0; i < x.length; i++) {
                x[i] = rng.nextDouble();
            }
            pop.add(x);
        }
        return pop;
    }

    /**
     * Sends {@code sent}; the client's retries are reported to {@code emit} as they happen. A request that fails for
     * good is reported as an error and its exception rethrown.
     */
    static Answer send(ChatClient llm, List<ChatMessage> sent, int generation, int attempt, Consumer<LlmExchange> emit)
            throws ChatException {
        long t0 = System.nanoTime();
        try {
            ChatClient.Completion done = llm.chat(sent, r -> emit.accept(new LlmExchange(generation, attempt, List.of(), null,
                    null, r.latencyMillis(), r.text(), false, LlmExchange.RETRY, r.httpStatus())));
            return new Answer(done, (System.nanoTime() - t0) / 1_000_000);
        } catch (ChatException e) {
            emit.accept(new LlmExchange(generation, attempt, sent, null, null, (System.nanoTime() - t0) / 1_000_000,
                    e.getMessage(), false, LlmExchange.ERROR, e.httpStatus()));
            throw e;
        }
    }
}
