package dev.evomerge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.synth.ModelSynthesizer;
import dev.evomerge.core.synth.SynthModelSpec;
import dev.evomerge.engine.chat.ChatMessage;
import dev.evomerge.engine.chat.ChatTemplate;
import dev.evomerge.evolve.demo.HiddenRecipe;
import dev.evomerge.evolve.llm.LlmExchange;
import dev.evomerge.evolve.llm.ScriptedOpenAiServer;
import dev.evomerge.evolve.llm.ScriptedOpenAiServer.Reply;
import dev.evomerge.evolve.store.RunMeta;
import dev.evomerge.evolve.store.RunStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** `evomerge evolve --optimizer llm` never fails silently: preflight, visible retries and fallbacks, a fallback limit, no secrets. */
class EvolveLlmCommandTest {

    static final String KEY = "sk-proj-0123456789abcdefXYZ";
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path shared;
    static HiddenRecipe.Setup setup;

    @TempDir
    Path dir;
    ScriptedOpenAiServer server;

    @BeforeAll
    static void models() {
        setup = HiddenRecipe.prepare(shared.resolve("demo"), 5, 16, 1);
    }

    @BeforeEach
    void start() throws Exception {
        server = new ScriptedOpenAiServer();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    CliRun evolve(String baseUrl, String... more) {
        List<String> args = new ArrayList<>(List.of("evolve", setup.genomeFile().toString(),
                "--storage-path", dir.resolve("run").toString(), "--optimizer", "llm",
                "--llm-base-url", baseUrl, "--api-key", KEY, "--task-search-path", setup.taskDir().toString(),
                "--force-population-size", "2", "--no-save-final-model", "-j", "1"));
        args.addAll(List.of(more));
        if (!args.contains("--llm-model")) {
            args.addAll(List.of("--llm-model", "gpt-4o"));
        }
        return CliRun.run(args.toArray(String[]::new));
    }

    void assertStoppedBeforeAnythingWasWritten(CliRun r, String... phrases) {
        assertThat(r.exit()).as(r.err()).isEqualTo(2);
        assertThat(r.err().strip().lines()).as("one sentence").hasSize(1);
        assertThat(r.err()).startsWith("evomerge: ").contains(phrases).doesNotContain(KEY);
        assertThat(dir.resolve("run")).doesNotExist();
        assertThat(server.requests()).as("no generation asked the LLM").allSatisfy(
                req -> assertThat(req.path("max_tokens").asInt()).isEqualTo(1));
    }

    @Test
    void aWrongKeyStopsTheRunBeforeTheFirstGenerationWithoutShowingTheEchoedKey() {
        server.requireKey("sk-the-right-one");
        assertStoppedBeforeAnythingWasWritten(evolve(server.baseUrl()), "refused the API key (HTTP 401", "Bearer ***",
                "--api-key");
    }

    @Test
    void aForbiddenKeyStopsTheRun() {
        server.models(403, "gpt-4o");
        assertStoppedBeforeAnythingWasWritten(evolve(server.baseUrl()), "refused the API key (HTTP 403");
    }

    @Test
    void anUnknownModelStopsTheRunWhetherListedOrAnswered404() {
        server.models(200, "llama-3-8b");
        assertStoppedBeforeAnythingWasWritten(evolve(server.baseUrl()), "has no model 'gpt-4o'", "llama-3-8b");
        server.models(404).then(Reply.error(404, "The model `gpt-4o` does not exist", Map.of()));
        assertStoppedBeforeAnythingWasWritten(evolve(server.baseUrl()), "does not know the model 'gpt-4o'");
    }

    @Test
    void anUnreachableUrlStopsTheRun() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        assertStoppedBeforeAnythingWasWritten(evolve("http://127.0.0.1:" + port + "/v1"), "Cannot reach the LLM server at",
                "--llm-base-url");
    }

    /** A server that always answers 500 and echoes the Authorization header it got, with no wait before retries. */
    void alwaysFailing() {
        server.otherwise(req -> Reply.error(500, "internal error (you sent Authorization: Bearer " + KEY + ")",
                Map.of("Retry-After", "0")));
    }

    @Test
    void failingGenerationsAreVisibleAndMaxFallbacksStopsTheRunNamingTheCause() throws Exception {
        alwaysFailing();
        String base = server.baseUrl().replace("http://", "http://alice:pw-secret-99@") + "?api-version=2024-06&api_key=qk-abcdef123";
        CliRun r = evolve(base, "--max-generation", "6", "--max-fallbacks", "2");

        assertThat(r.exit()).as(r.err()).isEqualTo(1);
        String last = r.err().strip().lines().reduce((a, b) -> b).orElseThrow();
        assertThat(last).startsWith("evomerge: The LLM gave no usable reply for 2 generations in a row (generation 2: ")
                .contains("HTTP 500: internal error").contains("--max-fallbacks 0");
        // every retry, failure and fallback is one line on stderr
        List<String> llmLines = r.err().lines().filter(l -> l.startsWith("evomerge: llm: ")).toList();
        assertThat(llmLines).hasSize(2 * (5 + 1 + 1));
        assertThat(llmLines.get(0)).isEqualTo("evomerge: llm: generation 1, attempt 1: HTTP 500: internal error "
                + "(you sent Authorization: Bearer ***); retry 1 of 5 in 0.0 s");
        assertThat(llmLines.get(5)).startsWith("evomerge: llm: generation 1, attempt 1: The LLM at ").contains("failed 6 times");
        assertThat(llmLines.get(6)).startsWith("evomerge: llm: generation 1: no usable mean genome after 1 attempt; "
                + "using the best genome so far (last: ");
        // the query string stays where it belongs
        assertThat(server.paths()).contains("/v1/models?api-version=2024-06&api_key=qk-abcdef123",
                "/v1/chat/completions?api-version=2024-06&api_key=qk-abcdef123");

        Path run = dir.resolve("run");
        try (RunStore s = RunStore.openReadOnly(run)) {
            List<LlmExchange> xs = s.exchanges();
            assertThat(xs).hasSize(14);
            assertThat(xs.stream().filter(x -> x.kind().equals(LlmExchange.RETRY)))
                    .hasSize(10).allSatisfy(x -> assertThat(x.httpStatus()).isEqualTo(500));
            assertThat(s.meta(RunMeta.STATUS)).contains("failed");
            JsonNode options = JSON.readTree(s.meta(RunMeta.OPTIONS).orElseThrow());
            assertThat(options.get("llmBaseUrl").asText())
                    .isEqualTo(server.baseUrl().replace("http://", "http://***@") + "?api-version=2024-06&api_key=***");
        }
        JsonNode summary = JSON.readTree(run.resolve("summary.json").toFile());
        assertThat(summary.get("status").asText()).isEqualTo("failed");
        assertThat(summary.get("llm")).isEqualTo(JSON.readTree(
                "{\"requests\": 12, \"retries\": 10, \"corrections\": 0, \"errors\": 2, \"fallbacks\": 2,"
                        + " \"prompt_tokens\": 0, \"completion_tokens\": 0, \"tokens_estimated\": false}"));

        // The report and the dashboard's data come from run.db: no secret anywhere.
        CliRun report = CliRun.run("report", "--storage-path", run.toString(), "--out", dir.resolve("report").toString());
        assertThat(report.exit()).as(report.err()).isZero();
        assertThat(Files.readString(dir.resolve("report/report.html"))).contains("HTTP 500").contains("fallbacks");
        List<Path> files = new ArrayList<>();
        try (Stream<Path> all = Files.walk(dir)) {
            all.filter(Files::isRegularFile).forEach(files::add);
        }
        assertThat(files).extracting(p -> p.getFileName().toString()).contains("run.db", "summary.json", "report.html");
        for (Path f : files) {
            String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
            assertThat(text).as(f.toString()).doesNotContain(KEY).doesNotContain("pw-secret-99").doesNotContain("qk-abcdef123");
        }
        assertThat(r.out() + r.err()).doesNotContain(KEY).doesNotContain("pw-secret-99").doesNotContain("qk-abcdef123");

        // Resuming without the URL again cannot use the masked one that was stored: one sentence, exit 2.
        CliRun resumed = CliRun.run("evolve", setup.genomeFile().toString(), "--storage-path", run.toString(), "--resume",
                "--api-key", KEY, "--max-generation", "7");
        assertThat(resumed.exit()).as(resumed.err()).isEqualTo(2);
        assertThat(resumed.err()).contains("--llm-base-url held credentials, which are never stored").contains("***@")
                .doesNotContain("pw-secret-99");
        // Given again, the URL is compared and announced masked, as stored: no change line, no credentials shown.
        CliRun again = CliRun.run("evolve", setup.genomeFile().toString(), "--storage-path", run.toString(), "--resume",
                "--api-key", KEY, "--max-generation", "7", "--llm-base-url", base);
        assertThat(again.out() + again.err()).doesNotContain("pw-secret-99").doesNotContain("qk-abcdef123")
                .doesNotContain("--llm-base-url http");
    }

    @Test
    void maxFallbacksZeroKeepsGoingAndQuietSilencesTheLines() throws Exception {
        alwaysFailing();
        CliRun r = evolve(server.baseUrl(), "--max-generation", "3", "--max-fallbacks", "0", "--quiet");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).doesNotContain("evomerge: llm:");
        JsonNode summary = JSON.readTree(dir.resolve("run/summary.json").toFile());
        assertThat(summary.get("status").asText()).isEqualTo("completed");
        assertThat(summary.get("llm").get("fallbacks").asInt()).isEqualTo(3);
        assertThat(summary.get("llm").get("retries").asInt()).isEqualTo(15);
    }

    /** A usable reply to any request: 50 in every gene, nested as the system prompt's dimensions say. */
    static Reply meanOfFifty(JsonNode request) {
        String system = request.at("/messages/0/content").asText();
        var m = java.util.regex.Pattern.compile("dimensions \\((\\d+), (\\d+), (\\d+), (\\d+)\\)").matcher(system);
        assertThat(m.find()).as(system).isTrue();
        String nested = "50";
        for (int d = 4; d >= 1; d--) {
            nested = "[" + String.join(", ", java.util.Collections.nCopies(Integer.parseInt(m.group(d)), nested)) + "]";
        }
        return Reply.content("{\"thought\": \"stay in the middle\", \"mean_genome\": " + nested + "}");
    }

    @Test
    void theContextAndPriceOptionsAreCheckedAndSummaryJsonTotalsTheServersUsage() throws Exception {
        for (String[] bad : new String[][] {{"--llm-price-per-mtok", "2.5"}, {"--llm-price-per-mtok", "cheap,10"},
                {"--llm-price-per-mtok", "-1,10"}, {"--llm-max-context-tokens", "100"}}) {
            CliRun r = evolve(server.baseUrl(), bad);
            assertThat(r.exit()).as(r.err()).isEqualTo(2);
            assertThat(r.err().strip().lines()).as("one sentence").hasSize(1);
            assertThat(r.err()).startsWith("evomerge: ").contains(bad[0]);
            assertThat(dir.resolve("run")).doesNotExist();
        }
        server.enforceContext(1500).otherwise(EvolveLlmCommandTest::meanOfFifty);
        CliRun r = evolve(server.baseUrl(), "--max-generation", "8", "--llm-max-context-tokens", "1500",
                "--llm-price-per-mtok", "2.5,10");
        assertThat(r.exit()).as(r.err()).isZero();

        long[] totals = server.usageTotals();
        assertThat(totals[0]).isPositive();
        JsonNode llm = JSON.readTree(dir.resolve("run/summary.json").toFile()).get("llm");
        assertThat(llm.get("requests").asInt()).isEqualTo(8);
        assertThat(llm.get("fallbacks").asInt()).isZero();
        assertThat(llm.get("errors").asInt()).isZero();
        assertThat(llm.get("prompt_tokens").asLong()).isEqualTo(totals[0]);
        assertThat(llm.get("completion_tokens").asLong()).isEqualTo(totals[1]);
        assertThat(llm.get("tokens_estimated").asBoolean()).isFalse();
        assertThat(llm.get("price_per_mtok")).isEqualTo(JSON.readTree("{\"in\": 2.5, \"out\": 10.0}"));
        assertThat(llm.get("estimated_cost").asDouble()).isCloseTo((totals[0] * 2.5 + totals[1] * 10) / 1e6,
                org.assertj.core.data.Offset.offset(1e-12));
        // the conversation outgrew the budget: trimmed each generation since, told once, every prompt within the context
        assertThat(server.promptSizes()).allSatisfy(t -> assertThat(t).isLessThanOrEqualTo(1500));
        try (RunStore s = RunStore.openReadOnly(dir.resolve("run"))) {
            assertThat(s.exchanges()).filteredOn(x -> x.kind().equals(LlmExchange.TRIM)).hasSizeGreaterThan(1);
        }
        assertThat(r.err().lines().filter(l -> l.contains("conversation trimmed to fit --llm-max-context-tokens 1500")))
                .hasSize(1).allSatisfy(l -> assertThat(l).endsWith("(told once; every trim is recorded in llm_exchanges)"));
        // the progress line (no terminal: one line per generation) shows the tokens so far and their cost
        String lastGen = r.out().lines().filter(l -> l.startsWith("generation 8:")).findFirst().orElseThrow();
        assertThat(lastGen).endsWith(String.format(java.util.Locale.ROOT, ", llm tokens %d in + %d out, cost ~%.4f",
                totals[0], totals[1], (totals[0] * 2.5 + totals[1] * 10) / 1e6));
    }

    /** A template that rejects two messages of the same role in a row, as many Hugging Face templates do. */
    static final String STRICT_TEMPLATE = "{{ bos_token }}{% for message in messages %}"
            + "{% if loop.index0 > 0 and messages[loop.index0 - 1]['role'] == message['role'] %}"
            + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
            + "{{ message['role'] + ': ' + message['content'] + '\\n' }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ 'assistant:' }}{% endif %}";

    @Test
    void afterAFallbackALocalModelWithAStrictTemplateStillGetsAlternatingTurns() throws Exception {
        Path llm = ModelSynthesizer.write(SynthModelSpec.defaults(), dir.resolve("strict-llm")).directory();
        Path tc = llm.resolve("tokenizer_config.json");
        ObjectNode config = (ObjectNode) JSON.readTree(tc.toFile());
        config.put("chat_template", STRICT_TEMPLATE);
        Files.writeString(tc, config.toString());
        // the template really rejects two user messages in a row
        ChatTemplate t = ChatTemplate.load(llm).orElseThrow();
        assertThatThrownBy(() -> t.render(List.of(new ChatMessage("user", "a"), new ChatMessage("user", "b")), true))
                .isInstanceOf(EvomergeException.class).hasMessageContaining("roles must alternate");

        // The tiny synthetic model never writes a usable genome: every generation is corrected once, then falls back.
        // --llm-history 2 keeps the prompt within its context; the window (system prompt, then the last 2 messages from
        // a user message on) would be [system, correction, next prompt] if the unanswered correction were kept.
        CliRun r = evolve(server.baseUrl(), "--llm-model", "local:" + llm, "--max-generation", "3", "--max-retries", "1",
                "--max-fallbacks", "0", "--llm-history", "2");
        assertThat(r.exit()).as(r.err()).isZero();
        try (RunStore s = RunStore.openReadOnly(dir.resolve("run"))) {
            List<LlmExchange> xs = s.exchanges();
            assertThat(xs).as(r.err()).extracting(LlmExchange::kind).containsExactly(
                    LlmExchange.CORRECTION, LlmExchange.FALLBACK, LlmExchange.CORRECTION, LlmExchange.FALLBACK,
                    LlmExchange.CORRECTION, LlmExchange.FALLBACK);
            assertThat(xs).extracting(LlmExchange::generation).containsExactly(1, 1, 2, 2, 3, 3);
            for (LlmExchange x : xs) {
                List<String> roles = x.sent().stream().map(ChatMessage::role).toList();
                for (int i = 1; i < roles.size(); i++) {
                    assertThat(roles.get(i)).as("%s", roles).isNotEqualTo(roles.get(i - 1));
                }
            }
            assertThat(xs.get(4).sent()).extracting(ChatMessage::role).containsExactly("system", "user");
            assertThat(xs.get(4).sent().get(1).content()).startsWith("Generation 3:");
        }
        assertThat(r.err()).contains("evomerge: llm: generation 3, attempt 1: unusable reply (")
                .contains("evomerge: llm: generation 3: no usable mean genome after 1 attempt").doesNotContain("chat template");
        assertThat(server.requests()).isEmpty();
    }
}
