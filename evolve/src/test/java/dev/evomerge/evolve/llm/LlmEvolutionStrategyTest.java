package dev.evomerge.evolve.llm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.evomerge.engine.chat.ChatMessage;
import dev.evomerge.evolve.llm.ScriptedOpenAiServer.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LlmEvolutionStrategyTest {

    static final int[] DIMS = {2, 2, 1, 1}; // N = 4

    ScriptedOpenAiServer server;
    List<Duration> waits;
    List<LlmExchange> exchanges;

    @BeforeEach
    void start() throws Exception {
        server = new ScriptedOpenAiServer();
        waits = new ArrayList<>();
        exchanges = new ArrayList<>();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    OpenAiChatClient client(Duration timeout) {
        return new OpenAiChatClient(server.baseUrl(), "sk-test", "gpt-4o",
                new RetryPolicy(4, Duration.ofMillis(10), Duration.ofMillis(40), timeout), waits::add);
    }

    LlmEvolutionStrategy strategy(double sigmaLow, double sigmaHigh, int maxRetries, int history, boolean elitism) {
        var settings = new LlmEvolutionStrategy.Settings(DIMS, 5, 11, sigmaLow, sigmaHigh, 4, maxRetries, history, elitism);
        return new LlmEvolutionStrategy(settings, client(Duration.ofSeconds(10)), exchanges::add);
    }

    static String reply(String thought, String mean) {
        return "{\"thought\": \"" + thought + "\", \"mean_genome\": " + mean + "}";
    }

    @Test
    void theNextPopulationIsSampledAroundTheLlmMeanWithSigmaLowAfterAnImprovement() {
        server.then(Reply.content(reply("raise model 2", "[[[[10]], [[90]]], [[[30]], [[70]]]]")));
        LlmEvolutionStrategy es = strategy(0.0, 0.3, 3, 0, false);
        List<double[]> first = es.ask();
        assertThat(first).hasSize(5);
        es.tell(first, new double[] {0.1, 0.5, 0.3, 0.2, 0.4});
        es.ask();
        // The first generation always improves on -inf, so sigma = sigma_low = 0: every candidate is the mean.
        for (double[] x : es.ask()) {
            assertThat(x).containsExactly(0.10, 0.90, 0.30, 0.70);
        }
        assertThat(exchanges).hasSize(1);
        assertThat(exchanges.get(0).thought()).isEqualTo("raise model 2");
        assertThat(exchanges.get(0).error()).isNull();
    }

    @Test
    void sigmaHighIsUsedWhenTheGenerationDidNotBeatTheBest() {
        server.then(Reply.content(reply("a", "[[[[50]], [[50]]], [[[50]], [[50]]]]")))
                .then(Reply.content(reply("b", "[[[[20]], [[40]]], [[[60]], [[80]]]]")));
        LlmEvolutionStrategy es = strategy(0.25, 0.0, 3, 0, false);
        es.tell(es.ask(), new double[] {0.9, 0.1, 0.1, 0.1, 0.1});
        es.ask();
        es.tell(es.ask(), new double[] {0.5, 0.5, 0.5, 0.5, 0.9}); // equal to the best: not an improvement
        es.ask();
        for (double[] x : es.ask()) {
            assertThat(x).containsExactly(0.2, 0.4, 0.6, 0.8);
        }
        assertThat(es.bestFitness()).isEqualTo(0.9);
    }

    @Test
    void thePromptShowsTheTopKOfTheLatestGenerationBestFirstInPythonRepr() {
        server.then(Reply.content(reply("ok", "[[[[1]], [[2]]], [[[3]], [[4]]]]")));
        LlmEvolutionStrategy es = strategy(0.05, 0.2, 3, 0, false);
        List<double[]> pop = List.of(new double[] {0.111, 0.5, 1.0, 0.0}, new double[] {0.2, 0.2, 0.2, 0.2},
                new double[] {0.3, 0.3, 0.3, 0.3}, new double[] {0.4, 0.4, 0.4, 0.4}, new double[] {0.996, 0.5, 0.5, 0.5});
        es.tell(pop, new double[] {0.75, 0.1, Double.NEGATIVE_INFINITY, 0.25, 1e-5});
        es.ask();
        JsonNode req = server.requests().get(0);
        assertThat(req.get("model").asText()).isEqualTo("gpt-4o");
        assertThat(req.get("temperature").asDouble()).isZero();
        assertThat(req.at("/response_format/type").asText()).isEqualTo("json_object");
        assertThat(server.authorizations()).containsExactly("Bearer sk-test");
        JsonNode messages = req.get("messages");
        assertThat(messages).hasSize(2);
        assertThat(messages.get(0).get("role").asText()).isEqualTo("system");
        assertThat(messages.get(0).get("content").asText()).contains("(2, 2, 1, 1)").contains("\"mean_genome\"");
        for (JsonNode m : messages) {
            assertThat(m.size()).as("role and content only").isEqualTo(2);
        }
        String user = messages.get(1).get("content").asText();
        assertThat(user).startsWith("Generation 1:").contains("The highest fitness score:\n0.75\n")
                .contains("Top 4 Genomes")
                .contains("[{'fitness_score': 0.75, 'genome_1': [[[[11]], [[50]]], [[[100]], [[0]]]]}, "
                        + "{'fitness_score': 0.25, 'genome_4': [[[[40]], [[40]]], [[[40]], [[40]]]]}, "
                        + "{'fitness_score': 0.1, 'genome_2': [[[[20]], [[20]]], [[[20]], [[20]]]]}, "
                        + "{'fitness_score': 1e-05, 'genome_5': [[[[100]], [[50]]], [[[50]], [[50]]]]}]");
    }

    @Test
    void transportFaultsAreRetriedWithBackoffAndRetryAfterIsHonoured() {
        server.then(Reply.error(500, "boom", Map.of()))
                .then(Reply.error(429, "slow down", Map.of("Retry-After", "2")))
                .then(Reply.error(503, "overloaded", Map.of()))
                .then(Reply.content(reply("fine", "[[[[40]], [[40]]], [[[40]], [[40]]]]")));
        LlmEvolutionStrategy es = strategy(0.0, 0.0, 3, 0, false);
        es.tell(es.ask(), new double[] {1, 2, 3, 4, 5});
        es.ask();
        assertThat(waits).containsExactly(Duration.ofMillis(10), Duration.ofSeconds(2), Duration.ofMillis(40));
        assertThat(es.ask().get(0)).containsExactly(0.4, 0.4, 0.4, 0.4);
        assertThat(server.requests()).hasSize(4);
    }

    @Test
    void aTimedOutRequestIsRetried() {
        server.then(Reply.content(reply("late", "[[[[0]], [[0]]], [[[0]], [[0]]]]")).delayed(1500))
                .then(Reply.content(reply("on time", "[[[[60]], [[60]]], [[[60]], [[60]]]]")));
        var settings = new LlmEvolutionStrategy.Settings(DIMS, 3, 1, 0.0, 0.0, 4, 3, 0, false);
        var es = new LlmEvolutionStrategy(settings, client(Duration.ofMillis(300)), exchanges::add);
        es.tell(es.ask(), new double[] {1, 2, 3});
        es.ask();
        assertThat(es.ask().get(0)).containsExactly(0.6, 0.6, 0.6, 0.6);
        assertThat(exchanges).extracting(LlmExchange::kind).containsExactly(LlmExchange.RETRY, LlmExchange.REPLY);
        assertThat(exchanges.get(0).httpStatus()).isNull();
        assertThat(exchanges.get(0).error()).startsWith("timed out after 0.3 s; retry 1 of 3");
        assertThat(exchanges.get(1).thought()).isEqualTo("on time");
    }

    @Test
    void unusableRepliesGetACorrectionAndARetry() {
        server.then(Reply.content("this is not json"))
                .then(Reply.content(reply("wrong shape", "[[[[1]], [[2]]]]")))
                .then(Reply.content(reply("out of range", "[[[[1]], [[2]]], [[[300]], [[4]]]]")))
                .then(Reply.content(reply("good", "[[[[5]], [[6]]], [[[7]], [[8]]]]")));
        LlmEvolutionStrategy es = strategy(0.0, 0.0, 4, 0, false);
        es.tell(es.ask(), new double[] {1, 2, 3, 4, 5});
        es.ask();
        assertThat(es.ask().get(0)).containsExactly(0.05, 0.06, 0.07, 0.08);
        assertThat(exchanges).extracting(LlmExchange::error).containsExactly(
                "the reply is not valid JSON.",
                "\"mean_genome\" does not have the dimensions (2, 2, 1, 1) (axis 1 should have 2 entries).",
                "\"mean_genome\" contains 300, outside 0 to 100.",
                null);
        // Each retry carries the rejected answer and a correction naming the problem.
        JsonNode last = server.requests().get(3).get("messages");
        assertThat(last).hasSize(8);
        assertThat(last.get(2).get("role").asText()).isEqualTo("assistant");
        assertThat(last.get(3).get("content").asText()).startsWith("Your answer could not be used: the reply is not valid JSON.");
        assertThat(last.get(7).get("content").asText()).contains("outside 0 to 100");
    }

    @Test
    void exhaustedRetriesFallBackToTheBestGenomeAndTheRunGoesOn() {
        server.then(Reply.content("{}")).then(Reply.content("{\"mean_genome\": \"many\"}"));
        LlmEvolutionStrategy es = strategy(0.0, 0.0, 2, 0, false);
        List<double[]> pop = es.ask();
        es.tell(pop, new double[] {0.1, 0.9, 0.2, 0.3, 0.4});
        es.ask();
        for (double[] x : es.ask()) {
            assertThat(x).containsExactly(pop.get(1));
        }
        assertThat(exchanges).hasSize(3);
        assertThat(exchanges.get(2).fallback()).isTrue();
        assertThat(exchanges.get(2).error()).contains("no usable mean genome after 2 attempts");
    }

    @Test
    void aServerRejectingJsonModeIsAskedAgainWithoutIt() {
        server.then(Reply.error(400, "response_format json_object is not supported", Map.of()))
                .then(Reply.content(reply("plain", "[[[[25]], [[25]]], [[[25]], [[25]]]]")));
        LlmEvolutionStrategy es = strategy(0.0, 0.0, 3, 0, false);
        es.tell(es.ask(), new double[] {1, 2, 3, 4, 5});
        es.ask();
        assertThat(server.requests().get(0).has("response_format")).isTrue();
        assertThat(server.requests().get(1).has("response_format")).isFalse();
        assertThat(es.ask().get(0)).containsExactly(0.25, 0.25, 0.25, 0.25);
        // the switch to plain text is a recorded retry, not a silent one
        assertThat(exchanges).filteredOn(x -> x.kind().equals(LlmExchange.RETRY)).singleElement()
                .satisfies(x -> assertThat(x.httpStatus()).isEqualTo(400))
                .satisfies(x -> assertThat(x.error()).contains("asking again without response_format json_object"));
    }

    @Test
    void aRefusedRequestIsNotRetriedByTheClient() {
        OpenAiChatClient c = client(Duration.ofSeconds(5));
        server.then(Reply.error(401, "invalid api key", Map.of()));
        assertThatThrownBy(() -> c.complete(List.of(ChatMessage.user("hi"))))
                .isInstanceOf(ChatException.class).hasMessageContaining("HTTP 401: invalid api key");
        assertThat(server.requests()).hasSize(1);
        assertThat(waits).isEmpty();
    }

    @Test
    void historyIsBoundedToTheSystemPromptAndTheLatestMessages() {
        for (int i = 0; i < 3; i++) {
            server.then(Reply.content(reply("g" + i, "[[[[50]], [[50]]], [[[50]], [[50]]]]")));
        }
        LlmEvolutionStrategy es = strategy(0.1, 0.1, 3, 3, false);
        for (int g = 0; g < 3; g++) {
            es.tell(es.ask(), new double[] {g, 1, 2, 3, 4});
            es.ask();
        }
        // Full history at the third call: system, u1, a1, u2, a2, u3; the last 3 start at a user message.
        JsonNode third = server.requests().get(2).get("messages");
        assertThat(third).extracting(m -> m.get("role").asText()).containsExactly("system", "user", "assistant", "user");
        assertThat(third.get(1).get("content").asText()).startsWith("Generation 2:");
        assertThat(third.get(3).get("content").asText()).startsWith("Generation 3:");
        // With a limit of 2 the window [a2, u3] is cut to start at the user message.
        JsonNode second = server.requests().get(1).get("messages");
        assertThat(second).hasSize(4);
    }

    @Test
    void elitismPutsTheBestGenomeBackIntoThePopulation() {
        server.then(Reply.content(reply("x", "[[[[0]], [[0]]], [[[0]], [[0]]]]")));
        LlmEvolutionStrategy es = strategy(0.0, 0.0, 3, 0, true);
        List<double[]> pop = es.ask();
        es.tell(pop, new double[] {0, 0, 7, 0, 0});
        es.ask();
        assertThat(es.ask().get(0)).containsExactly(pop.get(2));
        assertThat(es.ask().get(1)).containsExactly(0.0, 0.0, 0.0, 0.0);
    }

    @Test
    void resumingFromStateGivesTheSamePopulations() {
        server.then(Reply.content(reply("m", "[[[[30]], [[60]]], [[[20]], [[80]]]]")))
                .then(Reply.content(reply("m", "[[[[30]], [[60]]], [[[20]], [[80]]]]")));
        LlmEvolutionStrategy a = strategy(0.05, 0.2, 3, 0, false);
        a.tell(a.ask(), new double[] {1, 2, 3, 4, 5});
        // Saved after tell: the LLM has not been asked yet, so a resumed run asks it with the same conversation.
        var b = new LlmEvolutionStrategy(a.state(), client(Duration.ofSeconds(5)), exchanges::add);
        List<double[]> pa = a.ask();
        List<double[]> pb = b.ask();
        for (int k = 0; k < pa.size(); k++) {
            assertThat(pb.get(k)).containsExactly(pa.get(k));
        }
        assertThat(server.requests().get(1).get("messages")).isEqualTo(server.requests().get(0).get("messages"));
    }

    @Test
    void theLlmIsAskedOnlyWhenAnotherGenerationIsNeeded() {
        server.then(Reply.content(reply("m", "[[[[30]], [[60]]], [[[20]], [[80]]]]")));
        LlmEvolutionStrategy es = strategy(0.05, 0.2, 3, 0, false);
        es.tell(es.ask(), new double[] {1, 2, 3, 4, 5});
        assertThat(server.requests()).isEmpty();
        es.ask();
        assertThat(server.requests()).hasSize(1);
    }

    @Test
    void samplesAreClippedToTheUnitBoxAndSeeded() {
        server.then(Reply.content(reply("edge", "[[[[0]], [[100]]], [[[50]], [[50]]]]")));
        server.then(Reply.content(reply("edge", "[[[[0]], [[100]]], [[[50]], [[50]]]]")));
        LlmEvolutionStrategy a = strategy(0.5, 0.5, 3, 0, false);
        LlmEvolutionStrategy b = strategy(0.5, 0.5, 3, 0, false);
        a.tell(a.ask(), new double[] {1, 2, 3, 4, 5});
        a.ask();
        b.tell(b.ask(), new double[] {1, 2, 3, 4, 5});
        b.ask();
        List<double[]> pa = a.ask();
        boolean sawLowerClip = false;
        for (int k = 0; k < pa.size(); k++) {
            assertThat(b.ask().get(k)).containsExactly(pa.get(k));
            for (double v : pa.get(k)) {
                assertThat(v).isBetween(0.0, 1.0);
            }
            sawLowerClip |= pa.get(k)[0] == 0.0;
        }
        assertThat(sawLowerClip).as("a mean at 0 with sigma 0.5 clips some samples to exactly 0").isTrue();
    }

    @Test
    void everyRetryIsARowWithItsStatusAndAFailedClientEndsTheGenerationWithAFallbackNamingTheCause() {
        for (int i = 0; i < 4; i++) {
            server.then(Reply.error(500, "boom " + i + " for Bearer sk-test", Map.of()));
        }
        LlmEvolutionStrategy es = strategy(0.0, 0.0, 3, 0, false);
        List<double[]> pop = es.ask();
        es.tell(pop, new double[] {0.1, 0.9, 0.2, 0.3, 0.4});
        es.ask();
        // the client tried 4 times; the strategy did not ask it again (3 more rounds of waits would only repeat them)
        assertThat(server.requests()).hasSize(4);
        assertThat(exchanges).extracting(LlmExchange::kind).containsExactly(
                LlmExchange.RETRY, LlmExchange.RETRY, LlmExchange.RETRY, LlmExchange.ERROR, LlmExchange.FALLBACK);
        assertThat(exchanges).extracting(LlmExchange::httpStatus).containsExactly(500, 500, 500, 500, null);
        assertThat(exchanges.get(0).error()).isEqualTo("HTTP 500: boom 0 for Bearer ***; retry 1 of 3 in 0.0 s");
        assertThat(exchanges.get(0).notice()).isEqualTo("generation 1, attempt 1: HTTP 500: boom 0 for Bearer ***; retry 1 of 3 in 0.0 s");
        assertThat(exchanges.get(3).error()).contains("failed 4 times; last: HTTP 500: boom 3");
        assertThat(exchanges.get(4).error()).startsWith("no usable mean genome after 1 attempt; using the best genome so far (last: ")
                .contains("HTTP 500: boom 3");
        assertThat(exchanges).allSatisfy(x -> assertThat(x.toString()).doesNotContain("sk-test"));
        assertThat(LlmExchange.Counts.of(exchanges)).isEqualTo(new LlmExchange.Counts(4, 3, 0, 1, 1));
        for (double[] x : es.ask()) {
            assertThat(x).containsExactly(pop.get(1));
        }
    }

    @Test
    void afterAFallbackTheConversationStillAlternatesUserAndAssistant() {
        server.then(Reply.content("not json"))                      // generation 1: unusable, corrected ...
                .then(Reply.content("still not json"))              // ... unusable again: fallback
                .then(Reply.error(401, "key revoked", Map.of()))    // generation 2: refused: fallback
                .then(Reply.content(reply("ok", "[[[[50]], [[50]]], [[[50]], [[50]]]]"))); // generation 3
        LlmEvolutionStrategy es = strategy(0.1, 0.1, 2, 0, false);
        for (int g = 0; g < 3; g++) {
            es.tell(es.ask(), new double[] {g, 1, 2, 3, 4});
            es.ask();
        }
        assertThat(exchanges).extracting(LlmExchange::kind).containsExactly(LlmExchange.CORRECTION, LlmExchange.CORRECTION,
                LlmExchange.FALLBACK, LlmExchange.ERROR, LlmExchange.FALLBACK, LlmExchange.REPLY);
        assertThat(exchanges.get(3).httpStatus()).isEqualTo(401);
        for (JsonNode req : server.requests()) {
            List<String> roles = new ArrayList<>();
            req.get("messages").forEach(m -> roles.add(m.get("role").asText()));
            for (int i = 1; i < roles.size(); i++) {
                assertThat(roles.get(i)).as("message %d of %s", i, roles).isNotEqualTo(roles.get(i - 1));
            }
        }
        // Generation 3 sees generation 1's exchange (without the unanswered correction) and its own prompt.
        JsonNode last = server.requests().get(3).get("messages");
        assertThat(last).extracting(m -> m.get("role").asText())
                .containsExactly("system", "user", "assistant", "user", "assistant", "user");
        assertThat(last.get(5).get("content").asText()).startsWith("Generation 3:");
    }

    @Test
    void aReplyEchoingTheKeyIsStoredMaskedInTheExchangeAndTheHistory() {
        server.then(Reply.content(reply("you sent sk-test", "[[[[50]], [[50]]], [[[50]], [[50]]]]")));
        LlmEvolutionStrategy es = strategy(0.0, 0.0, 3, 0, false);
        es.tell(es.ask(), new double[] {1, 2, 3, 4, 5});
        es.ask();
        assertThat(exchanges.get(0).thought()).isEqualTo("you sent ***");
        assertThat(exchanges.get(0).reply()).contains("you sent ***").doesNotContain("sk-test");
        assertThat(es.state().history().getLast().role()).isEqualTo("assistant");
        assertThat(es.state().history().getLast().content()).contains("you sent ***").doesNotContain("sk-test");
    }
}
