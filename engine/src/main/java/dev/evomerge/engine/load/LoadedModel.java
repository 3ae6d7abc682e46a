package dev.evomerge.engine.load;

import dev.evomerge.engine.CausalLanguageModel;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.chat.ChatTemplate;
import dev.evomerge.engine.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A Hugging Face model directory loaded for the embedded engine: its weights, tokenizer.json and chat template (when
 * it has one). Closing it closes the model and the tokenizer.
 */
public record LoadedModel(CausalLanguageModel model, Tokenizer tokenizer, Optional<ChatTemplate> chatTemplate)
        implements AutoCloseable {

    public LoadedModel {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(tokenizer, "tokenizer");
        Objects.requireNonNull(chatTemplate, "chatTemplate");
    }

    /**
     * Loads the tokenizer, the chat template and then the weights of {@code dir}; what was loaded is closed again
     * when a later part fails.
     */
    public static LoadedModel load(Path dir, LoadOptions options) {
        Tokenizer tokenizer = Tokenizer.load(dir);
        try {
            Optional<ChatTemplate> template = ChatTemplate.load(dir);
            return new LoadedModel(ModelLoader.load(dir, options), tokenizer, template);
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    /**
     * The tokens that end a generation: the tokenizer's eos_token and the EOS ids of generation_config.json or
     * config.json, without repeats.
     */
    public Set<Integer> eosIds() {
        Set<Integer> eos = new LinkedHashSet<>();
        for (int id : tokenizer.eosIds()) {
            eos.add(id);
        }
        eos.addAll(model.spec().eosTokenIds());
        return Set.copyOf(eos);
    }

    /** The positions the model reads (max_position_embeddings). */
    public int contextLength() {
        return model.spec().contextLength();
    }

    /** Closes the model and then the tokenizer. */
    @Override
    public void close() {
        try {
            model.close();
        } finally {
            tokenizer.close();
        }
    }
}
