package dev.evomerge.server;

import dev.evomerge.engine.CausalLanguageModel;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.ModelLoader;
import dev.evomerge.engine.chat.ChatTemplate;
import dev.evomerge.engine.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/** What the server serves: a loaded model with its tokenizer, chat template (if any) and public name. */
public final class ServedModel implements AutoCloseable {

    private final String name;
    private final CausalLanguageModel model;
    private final Tokenizer tokenizer;
    private final Optional<ChatTemplate> chatTemplate;
    private final Set<Integer> eosIds;
    private final PromptBudget promptBudget;
    private final java.util.concurrent.atomic.AtomicLong generatedTokens = new java.util.concurrent.atomic.AtomicLong();

    public ServedModel(String name, CausalLanguageModel model, Tokenizer tokenizer,
                       Optional<ChatTemplate> chatTemplate) {
        this.name = name;
        this.model = model;
        this.tokenizer = tokenizer;
        this.chatTemplate = chatTemplate;
        Set<Integer> eos = new LinkedHashSet<>();
        for (int id : tokenizer.eosIds()) {
            eos.add(id);
        }
        eos.addAll(model.spec().eosTokenIds());
        this.eosIds = Set.copyOf(eos);
        this.promptBudget = PromptBudget.of(tokenizer, model.spec().contextLength());
    }

    /**
     * Loads a Hugging Face model directory: weights, tokenizer.json and the chat template.
     *
     * @param name the model id clients see; null for the directory's name
     */
    public static ServedModel load(Path dir, String name, LoadOptions options) {
        Tokenizer tokenizer = Tokenizer.load(dir);
        try {
            Optional<ChatTemplate> template = ChatTemplate.load(dir);
            CausalLanguageModel model = ModelLoader.load(dir, options);
            String id = name != null ? name : dir.toAbsolutePath().normalize().getFileName().toString();
            return new ServedModel(id, model, tokenizer, template);
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    public String name() {
        return name;
    }

    public CausalLanguageModel model() {
        return model;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public Optional<ChatTemplate> chatTemplate() {
        return chatTemplate;
    }

    /** Tokens that end generation: generation_config.json / config.json EOS ids and the tokenizer's eos_token. */
    public Set<Integer> eosIds() {
        return eosIds;
    }

    /** Tokens the model has generated for this server since it started, ended and cut-off ones included. */
    public long generatedTokens() {
        return generatedTokens.get();
    }

    void countGenerated(int tokens) {
        generatedTokens.addAndGet(tokens);
    }

    public int contextLength() {
        return model.spec().contextLength();
    }

    /** How much prompt text can fit the context; checked before tokenizing. */
    PromptBudget promptBudget() {
        return promptBudget;
    }

    public int vocabSize() {
        return model.spec().vocabSize();
    }

    /** Closes the model and the tokenizer. */
    @Override
    public void close() {
        try {
            model.close();
        } finally {
            tokenizer.close();
        }
    }
}
