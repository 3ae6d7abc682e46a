package dev.evomerge.evolve.llm;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.engine.FinishReason;
import dev.evomerge.engine.Generation;
import dev.evomerge.engine.GenerationRequest;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.load.LoadedModel;
import dev.evomerge.engine.WeightStorage;
import dev.evomerge.engine.chat.ChatMessage;
import dev.evomerge.engine.chat.ChatTemplate;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * {@code --llm-model local:DIR}: a local instruct model run by the embedded engine. The conversation is rendered with
 * the model's chat template (generation prompt added), continued greedily until an EOS id (generation_config.json,
 * config.json and the tokenizer's eos_token) or the token budget, and decoded without special tokens. Replies are
 * never rejected here: whatever text comes back is the strategy's to validate and correct.
 */
public final class LocalChatClient implements ChatClient, AutoCloseable {

    /** Tokens generated per reply unless configured otherwise; a mean genome of a few hundred genes fits. */
    public static final int DEFAULT_MAX_TOKENS = 1024;

    private final Path dir;
    /** The model, its tokenizer and its chat template (present: {@link #load} refuses a model without one). */
    private final LoadedModel loaded;
    private final int maxTokens;

    private LocalChatClient(Path dir, LoadedModel loaded, int maxTokens) {
        this.dir = dir;
        this.loaded = loaded;
        this.maxTokens = maxTokens;
    }

    /** Loads {@code dir} with the default budget; weights are kept as bf16 (lossless for bf16 checkpoints). */
    public static LocalChatClient load(Path dir) {
        return load(dir, DEFAULT_MAX_TOKENS, LoadOptions.defaults().withWeightStorage(WeightStorage.BFLOAT16));
    }

    /**
     * Loads the model, tokenizer and chat template of {@code dir}.
     *
     * @param maxTokens the most tokens generated per reply (at least 1)
     * @throws EvomergeException (usage) naming the directory when it is not a loadable instruct model
     */
    public static LocalChatClient load(Path dir, int maxTokens, LoadOptions options) {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be at least 1, got " + maxTokens);
        }
        if (!Files.isDirectory(dir)) {
            throw EvomergeException.usage("--llm-model local:" + dir + " is not a directory with a local model.");
        }
        LoadedModel loaded;
        try {
            loaded = LoadedModel.load(dir, options);
        } catch (RuntimeException e) {
            throw unusable(dir, e);
        }
        if (loaded.chatTemplate().isEmpty()) {
            loaded.close();
            throw unusable(dir, EvomergeException.usage("it has no chat template (chat_template.jinja,"
                    + " chat_template.json or tokenizer_config.json chat_template), so it is not an instruct model"));
        }
        return new LocalChatClient(dir, loaded, maxTokens);
    }

    private static EvomergeException unusable(Path dir, RuntimeException e) {
        String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return EvomergeException.usage("The local LLM in " + dir + " (--llm-model local:" + dir
                + ") could not be loaded: " + why, e);
    }

    @Override
    public String description() {
        return "local:" + dir + " (embedded engine, greedy, up to " + maxTokens + " tokens)";
    }

    /** The ids that end a reply. */
    public Set<Integer> stopTokenIds() {
        return loaded.eosIds();
    }

    @Override
    public String complete(List<ChatMessage> messages, Consumer<Retry> retries) {
        return chat(messages, retries).text();
    }

    @Override
    public Integer contextTokens() {
        return loaded.contextLength();
    }

    /** The reply with exact token counts: the rendered prompt's and the generated ids'. */
    @Override
    public Completion chat(List<ChatMessage> messages, Consumer<Retry> retries) {
        int[] prompt = loaded.tokenizer().encode(render(messages), false); // the template writes BOS and the like itself
        int context = loaded.contextLength();
        if (prompt.length == 0) {
            throw new ChatException("The chat template of " + dir + " rendered the conversation to an empty prompt.");
        }
        if (prompt.length >= context) {
            throw new ChatException("The conversation takes " + prompt.length + " tokens, which leaves no room in the"
                    + " context of " + context + " tokens of " + dir + "; bound it with --llm-max-context-tokens.")
                    .contextExceeded();
        }
        Generation g;
        try {
            g = loaded.model().generate(GenerationRequest.greedy(prompt, Math.min(maxTokens, context - prompt.length), stopTokenIds()));
        } catch (RuntimeException e) {
            throw new ChatException("The local LLM in " + dir + " failed to generate: " + e.getMessage(), e);
        }
        int[] ids = g.tokenIds();
        int generated = ids.length;
        if (g.finishReason() == FinishReason.STOP_TOKEN && ids.length > 0) {
            ids = Arrays.copyOf(ids, ids.length - 1); // the engine keeps the stop token; it is not reply text
        }
        return new Completion(answerText(loaded.tokenizer().decode(ids, true)), new TokenUsage(prompt.length, generated, false));
    }

    /**
     * The prompt text. Some templates refuse a system message (or anything but strict user/assistant alternation
     * starting with user); for those the system message is folded into the first user message and rendered again.
     */
    private String render(List<ChatMessage> messages) {
        ChatTemplate template = loaded.chatTemplate().orElseThrow();
        try {
            return template.render(messages, true);
        } catch (EvomergeException first) {
            List<ChatMessage> folded = foldSystem(messages);
            if (folded.equals(messages)) {
                throw new ChatException("The chat template of " + dir + " failed: " + first.getMessage(), first);
            }
            try {
                return template.render(folded, true);
            } catch (EvomergeException second) {
                throw new ChatException("The chat template of " + dir + " failed: " + first.getMessage(), second);
            }
        }
    }

    /** The conversation with a leading system message prepended to the first user message. */
    static List<ChatMessage> foldSystem(List<ChatMessage> messages) {
        if (messages.isEmpty() || !messages.getFirst().role().equals("system")) {
            return messages;
        }
        String system = messages.getFirst().content();
        List<ChatMessage> out = new ArrayList<>(messages.size() - 1);
        boolean folded = false;
        for (ChatMessage m : messages.subList(1, messages.size())) {
            if (!folded && m.role().equals("user")) {
                out.add(ChatMessage.user(system + "\n\n" + m.content()));
                folded = true;
            } else {
                out.add(m);
            }
        }
        if (!folded) {
            out.addFirst(ChatMessage.user(system));
        }
        return out;
    }

    /**
     * The reply without surrounding whitespace and without a leading {@code <think>...</think>} block that reasoning
     * models write before the answer (an unclosed one is kept: then there is no answer to isolate).
     */
    static String answerText(String decoded) {
        String t = decoded.strip();
        if (t.startsWith("<think>")) {
            int end = t.indexOf("</think>");
            if (end >= 0) {
                t = t.substring(end + "</think>".length()).strip();
            }
        }
        return t;
    }

    /** Stops the engine's worker threads and frees the tokenizer. */
    @Override
    public void close() {
        loaded.close();
    }
}
