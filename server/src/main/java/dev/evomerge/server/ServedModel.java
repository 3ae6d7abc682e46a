package dev.evomerge.server;

import dev.evomerge.engine.CausalLanguageModel;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.load.LoadedModel;
import dev.evomerge.engine.chat.ChatTemplate;
import dev.evomerge.engine.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/** What the server serves: a loaded model with its tokenizer, chat template (if any) and public name. */
public final class ServedModel implements AutoCloseable {

    private final String name;
    private final LoadedModel loaded;
    private final Set<Integer> eosIds;
    private final PromptBudget promptBudget;
    private final java.util.concurrent.atomic.AtomicLong generatedTokens = new java.util.concurrent.atomic.AtomicLong();
    /** The directory the weights were last loaded from (null when built from memory); changed by weight updates. */
    private volatile Path weightsPath;
    private volatile Path tokenizerPath;
    private final java.util.concurrent.atomic.AtomicLong weightUpdates = new java.util.concurrent.atomic.AtomicLong();

    public ServedModel(String name, CausalLanguageModel model, Tokenizer tokenizer,
                       Optional<ChatTemplate> chatTemplate) {
        this(name, new LoadedModel(model, tokenizer, chatTemplate));
    }

    public ServedModel(String name, LoadedModel loaded) {
        this.name = name;
        this.loaded = loaded;
        this.eosIds = loaded.eosIds();
        this.promptBudget = PromptBudget.of(loaded.tokenizer(), loaded.contextLength());
    }

    /**
     * Loads a Hugging Face model directory: weights, tokenizer.json and the chat template.
     *
     * @param name the model id clients see; null for the directory's name
     */
    public static ServedModel load(Path dir, String name, LoadOptions options) {
        LoadedModel loaded = LoadedModel.load(dir, options);
        ServedModel served = new ServedModel(name != null ? name : dir.toAbsolutePath().normalize().getFileName()
                .toString(), loaded);
        served.weightsPath = dir.toAbsolutePath().normalize();
        served.tokenizerPath = served.weightsPath;
        return served;
    }

    public String name() {
        return name;
    }

    /** The directory the served weights were last loaded from; empty for a model built in memory. */
    public Optional<Path> weightsPath() {
        return Optional.ofNullable(weightsPath);
    }

    /** The directory the tokenizer was loaded from (weight updates keep the tokenizer); empty when built in memory. */
    public Optional<Path> tokenizerPath() {
        return Optional.ofNullable(tokenizerPath);
    }

    /** How many weight updates succeeded since the server started: the {@code weight_version} it reports. */
    public long weightUpdates() {
        return weightUpdates.get();
    }

    /** Records that the weights now come from {@code dir}. */
    void servedFrom(Path dir) {
        weightsPath = dir.toAbsolutePath().normalize();
        weightUpdates.incrementAndGet();
    }

    public CausalLanguageModel model() {
        return loaded.model();
    }

    public Tokenizer tokenizer() {
        return loaded.tokenizer();
    }

    public Optional<ChatTemplate> chatTemplate() {
        return loaded.chatTemplate();
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
        return loaded.contextLength();
    }

    /** How much prompt text can fit the context; checked before tokenizing. */
    PromptBudget promptBudget() {
        return promptBudget;
    }

    public int vocabSize() {
        return loaded.model().spec().vocabSize();
    }

    /** Closes the model and the tokenizer. */
    @Override
    public void close() {
        loaded.close();
    }
}
