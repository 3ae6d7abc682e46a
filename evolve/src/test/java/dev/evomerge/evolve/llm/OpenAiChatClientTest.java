package dev.evomerge.evolve.llm;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.engine.chat.ChatMessage;
import dev.evomerge.evolve.llm.ScriptedOpenAiServer.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The preflight check, the request URL (query string, credentials) and the redaction of what the server says. */
class OpenAiChatClientTest {

    static final String KEY = "sk-live-0123456789abcdef";
    static final List<ChatMessage> HELLO = List.of(ChatMessage.user("hi"));

    ScriptedOpenAiServer server;
    List<Duration> waits = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        server = new ScriptedOpenAiServer();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    OpenAiChatClient client(String base, String key, String model) {
        return new OpenAiChatClient(base, key, model,
                new RetryPolicy(3, Duration.ofMillis(10), Duration.ofMillis(40), Duration.ofSeconds(5)), waits::add);
    }

    static EvomergeException usage(Runnable r) {
        try {
            r.run();
        } catch (EvomergeException e) {
            assertThat(e.kind()).isEqualTo(EvomergeException.Kind.USAGE);
            return e;
        }
        throw new AssertionError("no EvomergeException");
    }

    @Test
    void theCheckPassesWhenTheListingHasTheModelWithoutSpendingAChatRequest() {
        client(server.baseUrl(), KEY, "gpt-4o").check();
        assertThat(server.paths()).containsExactly("/v1/models");
        assertThat(server.requests()).isEmpty();
        assertThat(server.authorizations()).containsExactly("Bearer " + KEY);
    }

    @Test
    void aWrongKeyIsOneSentenceWithTheEchoedKeyMasked() {
        server.requireKey("sk-the-right-key");
        EvomergeException e = usage(() -> client(server.baseUrl(), KEY, "gpt-4o").check());
        assertThat(e.getMessage()).contains("refused the API key (HTTP 401").contains("--api-key").contains("OPENAI_API_KEY")
                .contains("Bearer ***").doesNotContain(KEY);
    }

    @Test
    void forbiddenStopsTheRunToo() {
        server.models(403, "gpt-4o");
        EvomergeException e = usage(() -> client(server.baseUrl(), KEY, "gpt-4o").check());
        assertThat(e.getMessage()).contains("HTTP 403");
    }

    @Test
    void aModelMissingFromTheListingIsNamedWithWhatTheServerOffers() {
        server.models(200, "llama-3-8b", "qwen2.5-7b");
        EvomergeException e = usage(() -> client(server.baseUrl(), KEY, "gpt-4o").check());
        assertThat(e.getMessage()).contains("has no model 'gpt-4o'").contains("llama-3-8b, qwen2.5-7b")
                .contains("a test request got HTTP 404").contains("--llm-model");
    }

    @Test
    void aNameTheServerAcceptsWithoutListingItPasses() {
        // e.g. Ollama lists "llama3:latest" and serves "llama3" as well
        server.models(404).then(Reply.content("O"));
        client(server.baseUrl(), KEY, "llama3").check();
        assertThat(server.paths()).containsExactly("/v1/models", "/v1/chat/completions");
    }

    @Test
    void withoutAListingOneTokenIsAskedForAndA404MeansAnUnknownModel() {
        server.models(404).then(Reply.error(404, "The model `gpt-5o` does not exist", Map.of()));
        EvomergeException e = usage(() -> client(server.baseUrl(), KEY, "gpt-5o").check());
        assertThat(e.getMessage()).contains("does not know the model 'gpt-5o'").contains("does not exist");
        assertThat(server.requests()).hasSize(1);
        assertThat(server.requests().get(0).get("max_tokens").asInt()).isEqualTo(1);
        // A server without a listing that answers the ping passes.
        server.then(Reply.content("OK"));
        client(server.baseUrl(), KEY, "gpt-5o").check();
        // A transient 500 at the check does not stop the run: its retries deal with it, visibly.
        server.then(Reply.error(500, "busy", Map.of()));
        client(server.baseUrl(), KEY, "gpt-5o").check();
    }

    @Test
    void anUnreachableUrlIsNamed() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        String base = "http://127.0.0.1:" + port + "/v1";
        EvomergeException e = usage(() -> client(base, KEY, "gpt-4o").check());
        assertThat(e.getMessage()).startsWith("Cannot reach the LLM server at " + base + "/models").contains("--llm-base-url");
    }

    @Test
    void theQueryStringOfTheBaseUrlFollowsEveryPath() {
        server.then(Reply.content("ok"));
        OpenAiChatClient c = client(server.baseUrl() + "/?api-version=2024-06-01", KEY, "gpt-4o");
        c.check();
        assertThat(c.complete(HELLO)).isEqualTo("ok");
        assertThat(server.paths()).containsExactly("/v1/models?api-version=2024-06-01",
                "/v1/chat/completions?api-version=2024-06-01");
        assertThat(c.description()).isEqualTo("gpt-4o at " + server.baseUrl() + "/chat/completions?api-version=2024-06-01");
    }

    @Test
    void credentialsInTheUrlAreSentAsBasicAuthAndNeverShown() {
        server.then(Reply.error(500, "oops user:pa55word-xyz", Map.of())).then(Reply.content("ok"));
        String base = server.baseUrl().replace("http://", "http://user:pa55word-xyz@") + "?api_key=qk-123456&api-version=7";
        OpenAiChatClient c = client(base, null, "gpt-4o");
        List<ChatClient.Retry> retries = new ArrayList<>();
        assertThat(c.complete(HELLO, retries::add)).isEqualTo("ok");
        assertThat(server.authorizations()).first().isEqualTo(
                "Basic " + Base64.getEncoder().encodeToString("user:pa55word-xyz".getBytes(StandardCharsets.UTF_8)));
        assertThat(server.paths()).first().isEqualTo("/v1/chat/completions?api_key=qk-123456&api-version=7");
        assertThat(c.description()).doesNotContain("pa55word").doesNotContain("qk-123456").contains("api-version=7")
                .contains("api_key=***");
        assertThat(retries).singleElement().satisfies(r -> {
            assertThat(r.httpStatus()).isEqualTo(500);
            assertThat(r.problem()).isEqualTo("HTTP 500: oops ***");
            assertThat(r.delay()).isEqualTo(Duration.ofMillis(10));
            assertThat(r.text()).isEqualTo("HTTP 500: oops ***; retry 1 of 2 in 0.0 s");
        });
    }

    @Test
    void everyRetryIsReportedWithItsStatusAndDelayAndTheFinalFailureKeepsTheStatus() {
        server.then(Reply.error(503, "overloaded " + KEY, Map.of("Retry-After", "3")))
                .then(Reply.error(500, "boom", Map.of()))
                .then(Reply.error(500, "still boom", Map.of()));
        List<ChatClient.Retry> retries = new ArrayList<>();
        OpenAiChatClient c = client(server.baseUrl(), KEY, "gpt-4o");
        assertThatThrownBy(() -> c.complete(HELLO, retries::add)).isInstanceOf(ChatException.class)
                .hasMessageContaining("failed 3 times; last: HTTP 500: still boom")
                .satisfies(e -> assertThat(((ChatException) e).httpStatus()).isEqualTo(500));
        assertThat(retries).extracting(ChatClient.Retry::httpStatus).containsExactly(503, 500);
        assertThat(retries).extracting(ChatClient.Retry::delay).containsExactly(Duration.ofSeconds(3), Duration.ofMillis(20));
        assertThat(retries.get(0).problem()).isEqualTo("HTTP 503: overloaded ***");
        assertThat(waits).containsExactly(Duration.ofSeconds(3), Duration.ofMillis(20));
    }

    @Test
    void usageIsTheServersWhenReportedElseAnEstimateThatSaysSo() {
        server.then(Reply.content("{\"a\": 1}"));
        ChatClient.Completion estimated = client(server.baseUrl(), KEY, "gpt-4o").chat(HELLO, r -> { });
        // "hi" is one token by the estimate plus 4 for the message; the 8-character reply is 2
        assertThat(estimated.usage()).isEqualTo(new TokenUsage(5, 2, true));
        server.enforceContext(10_000).then(Reply.content("{\"a\": 1}"));
        ChatClient.Completion reported = client(server.baseUrl(), KEY, "gpt-4o").chat(HELLO, r -> { });
        assertThat(reported.usage()).isEqualTo(new TokenUsage(4, 3, false)); // the server's rule: (2+2)/3+3 and (8+2)/3
        assertThat(server.usageTotals()).containsExactly(4, 3);
    }

    @Test
    void aContextRefusalIsMarkedWhetherOpenAiCodedOrWordedAndOtherRefusalsAreNot() {
        server.enforceContext(3);
        ChatException openAi = (ChatException) org.assertj.core.api.Assertions.catchThrowable(
                () -> client(server.baseUrl(), KEY, "gpt-4o").complete(HELLO));
        assertThat(openAi.isContextExceeded()).isTrue();
        assertThat(openAi.httpStatus()).isEqualTo(400);
        assertThat(openAi.getMessage()).contains("maximum context length is 3 tokens");
        assertThat(waits).as("not retried").isEmpty();
        // vLLM and llama.cpp name the context in words, with no code
        assertThat(OpenAiChatClient.contextTooLong(400, "{\"object\":\"error\",\"message\":\"This model's maximum context"
                + " length is 4096 tokens. However, you requested 5000 tokens.\",\"type\":\"BadRequestError\",\"code\":400}"))
                .isTrue();
        assertThat(OpenAiChatClient.contextTooLong(400, "{\"error\": {\"message\": \"the request exceeds the available context"
                + " size, try increasing it\", \"type\": \"exceed_context_size_error\"}}")).isTrue();
        assertThat(OpenAiChatClient.contextTooLong(400, "{\"error\": {\"message\": \"messages must not be empty\"}}")).isFalse();
        assertThat(OpenAiChatClient.contextTooLong(500, "{\"error\": {\"message\": \"context size exceeded\"}}")).isFalse();
    }
}
