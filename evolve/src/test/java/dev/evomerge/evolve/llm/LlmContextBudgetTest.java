package dev.evomerge.evolve.llm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.evomerge.evolve.llm.ScriptedOpenAiServer.Reply;
import dev.evomerge.evolve.store.RunStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Long runs against a server that enforces a small context and reports usage: the conversation is trimmed to the
 * budget instead of failing every generation, and the recorded token totals are the server's.
 */
class LlmContextBudgetTest {

    static final int[] DIMS = {2, 2, 1, 1};
    static final int CONTEXT = 2000;

    ScriptedOpenAiServer server;
    List<LlmExchange> exchanges;

    @BeforeEach
    void start() throws Exception {
        server = new ScriptedOpenAiServer().enforceContext(CONTEXT);
        exchanges = new ArrayList<>();
        AtomicInteger n = new AtomicInteger();
        // every reply differs a little, as a real model's would
        server.otherwise(req -> {
            int k = n.incrementAndGet();
            int a = 20 + k % 50;
            return Reply.content("{\"thought\": \"step " + k + ": move towards 30\", \"mean_genome\": [[[[" + a + "]], [["
                    + (100 - a) + "]]], [[[30]], [[" + (k % 90) + "]]]]}");
        });
    }

    @AfterEach
    void stop() {
        server.close();
    }

    OpenAiChatClient strategyClient() {
        return new OpenAiChatClient(server.baseUrl(), "sk-test", "gpt-4o",
                new RetryPolicy(3, Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofSeconds(10)), d -> { });
    }

    LlmEvolutionStrategy strategy(java.util.function.Consumer<LlmExchange> sink) {
        var client = strategyClient();
        var settings = new LlmEvolutionStrategy.Settings(DIMS, 5, 7, 0.05, 0.2, 4, 3, 0, false);
        return new LlmEvolutionStrategy(settings, client, sink, new ContextBudget(CONTEXT));
    }

    /** A trivial fitness: closeness to 0.3 in every gene. */
    static double[] evaluate(List<double[]> pop) {
        double[] f = new double[pop.size()];
        for (int i = 0; i < f.length; i++) {
            for (double x : pop.get(i)) {
                f[i] -= (x - 0.3) * (x - 0.3);
            }
        }
        return f;
    }

    @Test
    void aHundredAndTwentyGenerationsStayWithinTheContextAndTheRecordedTotalsAreTheServers(@TempDir Path dir) {
        try (RunStore store = RunStore.open(dir)) {
            java.util.function.Consumer<LlmExchange> sink = x -> {
                store.recordExchange(x);
                exchanges.add(x);
            };
            LlmEvolutionStrategy es = strategy(sink);
            int[] stateSizes = new int[120];
            for (int g = 0; g < 120; g++) {
                List<double[]> pop = es.ask();
                es.tell(pop, evaluate(pop));
                store.saveOptimizerState(g, es.name(), es.state());
                stateSizes[g] = store.latestOptimizerState().orElseThrow().as(LlmEvolutionStrategy.State.class)
                        .history().stream().mapToInt(m -> m.content().length()).sum();
                if (g == 60) { // resumed halfway from the stored state: the trimmed history goes on as before
                    es = new LlmEvolutionStrategy(store.latestOptimizerState().orElseThrow()
                            .as(LlmEvolutionStrategy.State.class), strategyClient(), sink, new ContextBudget(CONTEXT));
                }
            }
            // the stored state stops growing once the conversation is trimmed
            assertThat(stateSizes[119]).isLessThan(stateSizes[119 - 60] * 3 / 2);
            es.ask(); // the 120th generation's request

            List<LlmExchange> stored = store.exchanges();
            assertThat(stored).extracting(LlmExchange::kind).doesNotContain(LlmExchange.FALLBACK, LlmExchange.ERROR);
            assertThat(stored).filteredOn(x -> x.kind().equals(LlmExchange.REPLY)).hasSize(120)
                    .allSatisfy(x -> assertThat(x.usage()).isNotNull().extracting(TokenUsage::estimated).isEqualTo(false));
            List<LlmExchange> trims = stored.stream().filter(x -> x.kind().equals(LlmExchange.TRIM)).toList();
            assertThat(trims).isNotEmpty();
            assertThat(trims.getFirst().generation()).as("the whole conversation fits at first").isGreaterThan(5);
            assertThat(trims.getFirst().error()).startsWith("conversation trimmed to fit --llm-max-context-tokens 2000: dropped the ");

            // every prompt the server saw fitted its context; once trimming began each stayed near the budget (the
            // latest generations kept, not everything dropped) and under it
            List<Integer> sizes = server.promptSizes();
            assertThat(sizes).hasSize(120).allSatisfy(t -> assertThat(t).isLessThanOrEqualTo(CONTEXT));
            int firstTrimmed = trims.getFirst().generation() - 1;
            int limit = new ContextBudget(CONTEXT).promptLimit(4);
            assertThat(sizes.subList(firstTrimmed + 1, 120)).allSatisfy(t ->
                    assertThat(t).isBetween(limit / 2, limit));
            assertThat(sizes.getFirst()).isLessThan(sizes.get(firstTrimmed - 1)); // it grew until then

            // a trimmed prompt keeps the system prompt, restates the best genome and ends with the latest generation
            JsonNode last = server.requests().getLast().get("messages");
            assertThat(last.get(0).get("role").asText()).isEqualTo("system");
            assertThat(last.get(1).get("content").asText()).startsWith(
                    "(Earlier generations were left out to fit the context. The best genome so far, with fitness -");
            assertThat(last.get(last.size() - 1).get("content").asText()).contains("Generation 120:");
            assertThat(last.size()).isGreaterThan(3);
            // the stored history does not grow with the run
            assertThat(es.state().history().size()).isLessThanOrEqualTo(last.size() + 1);

            LlmExchange.Counts counts = LlmExchange.Counts.of(stored);
            long[] totals = server.usageTotals();
            assertThat(counts.promptTokens()).isEqualTo(totals[0]).isPositive();
            assertThat(counts.completionTokens()).isEqualTo(totals[1]).isPositive();
            assertThat(counts.estimatedTokens()).isFalse();
            assertThat(counts.requests()).isEqualTo(120);
        }
    }

    @Test
    void aContextRefusalTrimsHarderAndAsksOnceMoreInsteadOfFallingBack() throws Exception {
        server.close();
        int[] big = {4, 4, 2, 1}; // 32 genes: long prompts
        try (ScriptedOpenAiServer s = new ScriptedOpenAiServer().enforceContext(1200)) {
            s.otherwise(req -> Reply.content("{\"thought\": \"ok\", \"mean_genome\": "
                    + PythonRepr.ofNestedInts(new int[32], big) + "}"));
            var client = new OpenAiChatClient(s.baseUrl(), null, "gpt-4o",
                    new RetryPolicy(3, Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofSeconds(10)), d -> { });
            var settings = new LlmEvolutionStrategy.Settings(big, 4, 7, 0.05, 0.2, 4, 3, 0, false);
            // a budget above the server's real context: the server refuses what the budget allows
            LlmEvolutionStrategy es = new LlmEvolutionStrategy(settings, client, exchanges::add, new ContextBudget(2400));
            for (int g = 0; g < 30; g++) {
                List<double[]> pop = es.ask();
                es.tell(pop, evaluate(pop));
            }
            es.ask();
            assertThat(exchanges).extracting(LlmExchange::kind).doesNotContain(LlmExchange.FALLBACK);
            List<LlmExchange> refused = exchanges.stream().filter(x -> x.kind().equals(LlmExchange.ERROR)).toList();
            assertThat(refused).as("one refusal: later prompts are held below the refused size").hasSize(1);
            LlmExchange r = refused.getFirst();
            assertThat(r.httpStatus()).isEqualTo(400);
            assertThat(r.error()).contains("maximum context length is 1200 tokens");
            int i = exchanges.indexOf(r); // the refusal is followed by a harder trim and a usable reply in its generation
            assertThat(exchanges.get(i + 1).kind()).isEqualTo(LlmExchange.TRIM);
            assertThat(exchanges.get(i + 2).kind()).isEqualTo(LlmExchange.REPLY);
            assertThat(exchanges.get(i + 2).generation()).isEqualTo(r.generation());
            assertThat(exchanges.get(i + 2).attempt()).isEqualTo(r.attempt() + 1);
            assertThat(exchanges).filteredOn(x -> x.kind().equals(LlmExchange.REPLY)).hasSize(30);
            List<Integer> sizes = s.promptSizes();
            assertThat(sizes.get(sizes.indexOf(sizes.stream().max(Integer::compare).orElseThrow()))).isGreaterThan(1200);
            assertThat(sizes.subList(sizes.indexOf(sizes.stream().max(Integer::compare).orElseThrow()) + 1, sizes.size()))
                    .allSatisfy(t -> assertThat(t).isLessThanOrEqualTo(1200));
        }
    }
}
