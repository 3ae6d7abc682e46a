package dev.evomerge.evolve.llm;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.synth.ModelSynthesizer;
import dev.evomerge.core.synth.SynthModelSpec;
import dev.evomerge.engine.CausalLanguageModel;
import dev.evomerge.engine.FinishReason;
import dev.evomerge.engine.Generation;
import dev.evomerge.engine.GenerationRequest;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.load.ModelLoader;
import dev.evomerge.engine.chat.ChatMessage;
import dev.evomerge.engine.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalChatClientTest {

    static final int EOS = 2; // the synthetic tokenizer's </s>
    static final LoadOptions ONE_THREAD = LoadOptions.defaults().withThreads(1);

    @TempDir
    static Path tmp;
    static Path modelDir;
    /** The independent path: the engine and tokenizer used directly, no client code involved. */
    static CausalLanguageModel direct;
    static Tokenizer tokenizer;

    @BeforeAll
    static void synthesize() {
        modelDir = ModelSynthesizer.write(SynthModelSpec.defaults().withSeed(7), tmp.resolve("instruct")).directory();
        direct = ModelLoader.load(modelDir, ONE_THREAD);
        tokenizer = Tokenizer.load(modelDir);
    }

    @AfterAll
    static void release() {
        direct.close();
        tokenizer.close();
    }

    /** Greedy tokens of the model for this prompt text, without stop ids unless given. */
    static Generation greedy(String promptText, int maxTokens, Set<Integer> stop) {
        return direct.generate(GenerationRequest.greedy(tokenizer.encode(promptText, false), maxTokens, stop));
    }

    static String text(int[] ids) {
        return tokenizer.decode(ids, true).strip();
    }

    static final List<ChatMessage> CONVERSATION = List.of(
            ChatMessage.system("You answer with JSON."),
            ChatMessage.user("Generation 1: the best score is 0.5."),
            ChatMessage.assistant("{\"thought\": \"up\"}"),
            ChatMessage.user("Please regenerate the next mean genome."));

    /** What the synthetic model's template (one "Role: content" line per message) renders, written out by hand. */
    static final String CONVERSATION_PROMPT = "<s>System: You answer with JSON.\n"
            + "User: Generation 1: the best score is 0.5.\n"
            + "Assistant: {\"thought\": \"up\"}</s>\n"
            + "User: Please regenerate the next mean genome.\n"
            + "Assistant:";

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 24})
    void theReplyIsTheGreedyContinuationOfTheTemplateRenderedPromptWithinTheBudget(int budget) {
        Generation g = greedy(CONVERSATION_PROMPT, budget, Set.of(EOS));
        int[] ids = g.tokenIds();
        if (g.finishReason() == FinishReason.STOP_TOKEN) {
            ids = Arrays.copyOf(ids, ids.length - 1);
        } else {
            assertThat(g.finishReason()).isEqualTo(FinishReason.LENGTH);
            assertThat(ids).hasSize(budget);
        }
        String expected = text(ids);
        try (LocalChatClient client = LocalChatClient.load(modelDir, budget, ONE_THREAD)) {
            String first = client.complete(CONVERSATION);
            assertThat(first).isEqualTo(expected);
            assertThat(client.complete(CONVERSATION)).isEqualTo(first); // greedy: deterministic
            // exact token counts: the rendered prompt's and every generated id (a stop token included)
            ChatClient.Completion c = client.chat(CONVERSATION, r -> { });
            assertThat(c.usage()).isEqualTo(new TokenUsage(tokenizer.encode(CONVERSATION_PROMPT, false).length,
                    g.tokenIds().length, false));
            assertThat(client.contextTokens()).isEqualTo(2048);
            assertThat(client.stopTokenIds()).containsExactly(EOS);
            assertThat(client.description()).contains(modelDir.toString()).contains(budget + " tokens");
        }
        if (budget == 24) {
            assertThat(expected).isNotBlank();
            // a longer budget yields a longer reply than one token: the budget is what bounds it
            assertThat(expected.length()).isGreaterThan(text(Arrays.copyOf(ids, 1)).length());
        }
    }

    @Test
    void generationStopsAtAnEosIdListedInGenerationConfig() throws IOException {
        int[] free = greedy(CONVERSATION_PROMPT, 24, Set.of()).tokenIds();
        // the first position (after the first token) whose token has not appeared before: make it an EOS id
        int k = 1;
        while (k < free.length && contains(free, 0, k, free[k])) {
            k++;
        }
        assertThat(k).as("the model repeats one token; pick another seed").isLessThan(free.length);
        Path copy = copyModel("eos-" + free[k]);
        Files.writeString(copy.resolve("generation_config.json"),
                "{\"bos_token_id\": 1, \"eos_token_id\": [2, " + free[k] + "]}", StandardCharsets.UTF_8);
        String expected = text(Arrays.copyOf(free, k));
        try (LocalChatClient client = LocalChatClient.load(copy, 24, ONE_THREAD)) {
            assertThat(client.stopTokenIds()).containsExactlyInAnyOrder(EOS, free[k]);
            String reply = client.complete(CONVERSATION);
            assertThat(reply).isEqualTo(expected);
            assertThat(reply).isNotEqualTo(text(free));
        }
    }

    @Test
    void aTemplateThatRefusesTheSystemRoleGetsItFoldedIntoTheFirstUserMessage() throws IOException {
        Path copy = copyModel("no-system");
        Files.writeString(copy.resolve("chat_template.jinja"), "{% for m in messages %}"
                + "{% if m['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
                + "{{ '[' + m['role'] + '] ' + m['content'] + '\\n' }}{% endfor %}"
                + "{% if add_generation_prompt %}{{ '[assistant]' }}{% endif %}", StandardCharsets.UTF_8);
        List<ChatMessage> conv = List.of(ChatMessage.system("Be brief."), ChatMessage.user("Mean genome?"));
        int[] ids = greedy("[user] Be brief.\n\nMean genome?\n[assistant]", 12, Set.of(EOS)).tokenIds();
        if (ids.length > 0 && ids[ids.length - 1] == EOS) {
            ids = Arrays.copyOf(ids, ids.length - 1);
        }
        try (LocalChatClient client = LocalChatClient.load(copy, 12, ONE_THREAD)) {
            assertThat(client.complete(conv)).isEqualTo(text(ids));
        }
    }

    @Test
    void aConversationLongerThanTheContextIsAChatExceptionNotACrash() {
        SplittableRandom rng = new SplittableRandom(5);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 12_000; i++) {
            sb.append((char) ('!' + rng.nextInt(90)));
        }
        assertThat(tokenizer.encode(sb.toString(), false).length).isGreaterThan(2048);
        try (LocalChatClient client = LocalChatClient.load(modelDir, 8, ONE_THREAD)) {
            assertThatThrownBy(() -> client.complete(List.of(ChatMessage.user(sb.toString()))))
                    .isInstanceOf(ChatException.class)
                    .hasMessageContaining("context of 2048 tokens")
                    .satisfies(e -> assertThat(((ChatException) e).isContextExceeded()).isTrue());
        }
    }

    @Test
    void loadingProblemsAreUsageErrorsNamingTheDirectory() throws IOException {
        Path missing = tmp.resolve("no-such-model");
        assertThatThrownBy(() -> LocalChatClient.load(missing))
                .isInstanceOf(EvomergeException.class)
                .satisfies(e -> assertThat(((EvomergeException) e).kind()).isEqualTo(EvomergeException.Kind.USAGE))
                .hasMessageContaining(missing.toString());

        Path noTemplate = copyModel("no-template");
        String cfg = Files.readString(noTemplate.resolve("tokenizer_config.json"));
        Files.writeString(noTemplate.resolve("tokenizer_config.json"),
                cfg.replaceAll("\"chat_template\"\\s*:\\s*\"(?:[^\"\\\\]|\\\\.)*\"\\s*,", ""));
        assertThatThrownBy(() -> LocalChatClient.load(noTemplate))
                .isInstanceOf(EvomergeException.class)
                .hasMessageContaining(noTemplate.toString())
                .hasMessageContaining("no chat template");

        Path noWeights = copyModel("no-weights");
        Files.delete(noWeights.resolve("model.safetensors"));
        assertThatThrownBy(() -> LocalChatClient.load(noWeights))
                .isInstanceOf(EvomergeException.class)
                .satisfies(e -> assertThat(((EvomergeException) e).kind()).isEqualTo(EvomergeException.Kind.USAGE))
                .hasMessageContaining(noWeights.toString());
    }

    @Test
    void theStrategyFallsBackWhenTheLocalModelsRepliesAreNotJson() {
        List<LlmExchange> exchanges = new ArrayList<>();
        var settings = new LlmEvolutionStrategy.Settings(new int[] {2, 2, 1, 1}, 5, 3, 0.0, 0.0, 4, 2, 0, false);
        try (LocalChatClient client = LocalChatClient.load(modelDir, 16, ONE_THREAD)) {
            LlmEvolutionStrategy es = new LlmEvolutionStrategy(settings, client, exchanges::add);
            List<double[]> first = es.ask();
            es.tell(first, new double[] {0.1, 0.7, 0.3, 0.2, 0.4});
            List<double[]> second = es.ask(); // the LLM is consulted when the next generation is drawn

            // two attempts, each answered with text that is not a mean genome, then the fallback
            assertThat(exchanges).hasSize(3);
            for (LlmExchange ex : exchanges.subList(0, 2)) {
                assertThat(ex.reply()).isNotNull();
                assertThat(ex.error()).isNotNull();
                assertThat(ex.fallback()).isFalse();
                // the recorded reply is what the model says to exactly the recorded conversation
                assertThat(client.complete(ex.sent())).isEqualTo(ex.reply());
            }
            assertThat(exchanges.get(1).sent()).hasSize(4); // system, user, bad reply, correction
            assertThat(exchanges.get(2).fallback()).isTrue();
            // sigma 0: every next candidate is the fallback mean, the best genome of generation 0 (fitness 0.7)
            for (double[] x : second) {
                assertThat(x).containsExactly(first.get(1));
            }
            assertThat(es.bestFitness()).isEqualTo(0.7);
        }
    }

    @Test
    void answerTextTrimsAndDropsALeadingReasoningBlock() {
        assertThat(LocalChatClient.answerText("  {\"a\": 1}\n")).isEqualTo("{\"a\": 1}");
        assertThat(LocalChatClient.answerText("<think>\nweigh it\n</think>\n\n{\"a\": 1}")).isEqualTo("{\"a\": 1}");
        assertThat(LocalChatClient.answerText("<think> never closed {\"a\": 1}"))
                .isEqualTo("<think> never closed {\"a\": 1}");
        assertThat(LocalChatClient.answerText("x <think>y</think> z")).isEqualTo("x <think>y</think> z");
        assertThat(LocalChatClient.answerText(" \n")).isEmpty();
    }

    @Test
    void foldingPutsTheSystemTextBeforeTheFirstUserMessageOnly() {
        List<ChatMessage> folded = LocalChatClient.foldSystem(List.of(ChatMessage.system("S"), ChatMessage.user("U1"),
                ChatMessage.assistant("A"), ChatMessage.user("U2")));
        assertThat(folded).containsExactly(ChatMessage.user("S\n\nU1"), ChatMessage.assistant("A"),
                ChatMessage.user("U2"));
        assertThat(LocalChatClient.foldSystem(List.of(ChatMessage.system("S"))))
                .containsExactly(ChatMessage.user("S"));
        List<ChatMessage> noSystem = List.of(ChatMessage.user("U"));
        assertThat(LocalChatClient.foldSystem(noSystem)).isSameAs(noSystem);
    }

    private static boolean contains(int[] a, int from, int to, int v) {
        for (int i = from; i < to; i++) {
            if (a[i] == v) {
                return true;
            }
        }
        return false;
    }

    private static Path copyModel(String name) throws IOException {
        Path out = tmp.resolve(name);
        Files.createDirectories(out);
        try (Stream<Path> files = Files.list(modelDir)) {
            for (Path f : files.toList()) {
                Files.copy(f, out.resolve(f.getFileName()));
            }
        }
        return out;
    }
}
