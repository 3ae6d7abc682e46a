package dev.evomerge.evolve.llm;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.evolve.llm.ScriptedOpenAiServer.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The llm strategy given several objectives, against a real HTTP server speaking OpenAI's protocol. */
class LlmParetoStrategyTest {

    static final int[] DIMS = {2, 2, 1, 1}; // N = 4
    static final List<String> OBJECTIVES = List.of("a/acc,none", "params");
    static final boolean[] MINIMISED = {false, true};

    ScriptedOpenAiServer server;
    List<LlmExchange> exchanges;

    @BeforeEach
    void start() throws Exception {
        server = new ScriptedOpenAiServer();
        exchanges = new ArrayList<>();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    LlmParetoStrategy.Settings settings(double sigmaLow, double sigmaHigh, int population, int means) {
        return new LlmParetoStrategy.Settings(DIMS, population, 11, sigmaLow, sigmaHigh, 3, means, OBJECTIVES, MINIMISED);
    }

    LlmParetoStrategy strategy(LlmParetoStrategy.Settings s) {
        return new LlmParetoStrategy(s, client(), exchanges::add);
    }

    OpenAiChatClient client() {
        return new OpenAiChatClient(server.baseUrl(), "sk-test", "gpt-4o",
                new RetryPolicy(2, Duration.ofMillis(10), Duration.ofMillis(40), Duration.ofSeconds(10)), d -> { });
    }

    static String reply(String thought, String means) {
        return "{\"thought\": \"" + thought + "\", \"mean_genomes\": " + means + "}";
    }

    /** Five candidates: 0, 2 and 4 are non-dominated (a up, params up), 1 is dominated by 2, 3 failed. */
    static final double[][] TOLD = {{0.2, -100}, {0.4, -300}, {0.5, -200}, {Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY},
            {0.9, -500}};

    @Test
    void thePromptShowsTheFrontWithEveryScoreAndThePopulationIsSplitAmongTheMeans() throws Exception {
        server.then(Reply.content(reply("fill the gap between 0.5 and 0.9",
                "[[[[[10]], [[20]]], [[[30]], [[40]]]], [[[[90]], [[80]]], [[[70]], [[60]]]]]")));
        LlmParetoStrategy es = strategy(settings(0.0, 0.3, 5, 2));
        List<double[]> first = es.ask();
        assertThat(first).hasSize(5);
        es.tell(first, TOLD);
        assertThat(es.front()).hasSize(3);
        List<double[]> next = es.ask();
        // sigma low (0) after a generation that added to the front: the first mean gets 3 of 5, the second 2
        assertThat(next).hasSize(5);
        for (int k = 0; k < 3; k++) {
            assertThat(next.get(k)).containsExactly(0.1, 0.2, 0.3, 0.4);
        }
        for (int k = 3; k < 5; k++) {
            assertThat(next.get(k)).containsExactly(0.9, 0.8, 0.7, 0.6);
        }
        String system = server.requests().getFirst().get("messages").get(0).get("content").asText();
        assertThat(system).contains("- a/acc,none: larger is better").contains("- params: smaller is better")
                .contains("exactly 2 genomes");
        String user = server.requests().getFirst().get("messages").get(1).get("content").asText();
        // the three members, best first by the first objective, with params as the user reads it (not negated)
        assertThat(user).contains("(3 members, sorted by a/acc,none)");
        int[] pct0 = percent(first.get(0));
        assertThat(user).contains("{'scores': {'a/acc,none': 0.9, 'params': 500.0}, 'genome': ")
                .contains("{'scores': {'a/acc,none': 0.2, 'params': 100.0}, 'genome': [[[[" + pct0[0] + "]], [[" + pct0[1] + "]]]")
                .doesNotContain("300.0");
        assertThat(user.indexOf("0.9")).isLessThan(user.indexOf("0.5")).isLessThan(user.indexOf("0.2"));
        assertThat(exchanges).hasSize(1);
        assertThat(exchanges.getFirst().thought()).isEqualTo("fill the gap between 0.5 and 0.9");
        assertThat(exchanges.getFirst().kind()).isEqualTo(LlmExchange.REPLY);
    }

    @Test
    void aReplyWithTheWrongNumberOfMeansGetsACorrection() {
        server.then(Reply.content(reply("one", "[[[[[10]], [[20]]], [[[30]], [[40]]]]]")))
                .then(Reply.content(reply("two", "[[10, 20, 30, 40], [50, 50, 50, 50]]")));
        LlmParetoStrategy es = strategy(settings(0.0, 0.0, 4, 2));
        es.tell(es.ask(), new double[][] {{0.1, -1}, {0.2, -2}, {0.3, -3}, {0.4, -4}});
        List<double[]> next = es.ask();
        assertThat(next.get(0)).containsExactly(0.1, 0.2, 0.3, 0.4);
        assertThat(next.get(3)).containsExactly(0.5, 0.5, 0.5, 0.5);
        assertThat(exchanges).extracting(LlmExchange::kind).containsExactly(LlmExchange.CORRECTION, LlmExchange.REPLY);
        assertThat(exchanges.getFirst().error()).isEqualTo("\"mean_genomes\" must be a list of exactly 2 genomes, got 1.");
        var second = server.requests().get(1).get("messages");
        assertThat(second).hasSize(4); // system, prompt, the unusable reply, the correction
        assertThat(second.get(3).get("content").asText()).startsWith("Your answer could not be used: \"mean_genomes\" must be");
    }

    @Test
    void withoutAUsableReplyTheMeansAreTheFrontsMostIsolatedMembers() {
        server.otherwise(req -> Reply.content("no idea"));
        LlmParetoStrategy es = strategy(settings(0.0, 0.0, 5, 2));
        List<double[]> first = es.ask();
        es.tell(first, TOLD);
        List<double[]> next = es.ask();
        // the front's ends (candidates 0 and 4) have infinite crowding distance and come first, in index order
        assertThat(next.get(0)).containsExactly(first.get(0));
        assertThat(next.get(4)).containsExactly(first.get(4));
        assertThat(exchanges).hasSize(4);
        assertThat(exchanges.getLast().fallback()).isTrue();
        assertThat(exchanges.getLast().error()).startsWith("no usable mean genomes after 3 attempts; using the front's"
                + " most isolated members");
    }

    @Test
    void aRestoredStrategyAsksForTheSamePopulationsAsTheUninterruptedOne() throws Exception {
        server.otherwise(req -> Reply.content(reply("t", "[[60, 40, 30, 20], [10, 10, 90, 90]]")));
        LlmParetoStrategy a = strategy(settings(0.05, 0.2, 6, 2));
        List<double[]> g0 = a.ask();
        a.tell(g0, new double[][] {{0.1, -1}, {0.2, -2}, {0.3, -3}, {0.4, -4}, {0.5, -5}, {0.05, -6}});
        ObjectMapper json = new ObjectMapper();
        String saved = json.writeValueAsString(a.state());
        List<double[]> g1 = a.ask();
        LlmParetoStrategy b = new LlmParetoStrategy(json.readValue(saved, LlmParetoStrategy.State.class), client(),
                exchanges::add);
        List<double[]> again = b.ask();
        assertThat(again).hasSize(6);
        for (int k = 0; k < 6; k++) {
            assertThat(again.get(k)).containsExactly(g1.get(k));
        }
        assertThat(b.front()).hasSize(5); // the sixth (0.05, 6) is dominated by the first
    }

    static int[] percent(double[] x) {
        int[] p = new int[x.length];
        for (int i = 0; i < x.length; i++) {
            p[i] = (int) Math.round(x[i] * 100);
        }
        return p;
    }
}
