package dev.evomerge.eval.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.JsonInput;
import dev.evomerge.core.io.Reasons;
import dev.evomerge.engine.CausalLanguageModel;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.ModelLoader;
import dev.evomerge.engine.chat.ChatTemplate;
import dev.evomerge.engine.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** Builds the evaluation backends: the in-JVM engine and OpenAI-compatible completions servers. */
public final class LanguageModels {

    /** lm-eval's API default when the model's config.json gives no context length. */
    public static final int DEFAULT_API_MAX_LENGTH = 2048;

    private LanguageModels() {
    }

    /**
     * Loads {@code modelDir} (config.json, safetensors, tokenizer.json) into the in-JVM engine.
     *
     * @param addSpecialTokens encode prompts with the tokenizer's special tokens (BOS), lm-eval's hf default
     * @param batchSize        loglikelihood requests per engine call
     */
    public static LanguageModel embedded(Path modelDir, LoadOptions load, boolean addSpecialTokens, int batchSize) {
        Tokenizer tokenizer = Tokenizer.load(modelDir);
        CausalLanguageModel model = ModelLoader.load(modelDir, load);
        return embedded(model, tokenizer, ChatTemplate.load(modelDir), modelDir.toString(), true, addSpecialTokens,
                batchSize);
    }

    /**
     * Wraps an already loaded engine model (for example a resident model that merges write into).
     *
     * @param ownsModel close the model when the returned LanguageModel is closed
     */
    public static LanguageModel embedded(CausalLanguageModel model, Tokenizer tokenizer, Optional<ChatTemplate> chat,
                                         String name, boolean ownsModel, boolean addSpecialTokens, int batchSize) {
        TextTokenizer text = new ModelTokenizer(tokenizer);
        return new TokenizedLanguageModel(name, text, new EmbeddedScorer(model, text, name, ownsModel),
                addSpecialTokens, batchSize, chat.map(t -> t::render));
    }

    /**
     * A completions server; prompts are tokenized locally with {@code tokenizerDir}'s tokenizer.json (as lm-eval's
     * local-completions with tokenized_requests), whose config.json also gives the context length.
     *
     * @param modelName         the request's {@code model} field; the served model's name
     * @param promptsPerRequest loglikelihood prompts per HTTP request
     */
    public static LanguageModel openAiCompletions(Path tokenizerDir, String baseUrl, String modelName,
                                                  boolean addSpecialTokens, int promptsPerRequest,
                                                  Optional<Integer> maxLength, Duration timeout) {
        Tokenizer tokenizer = Tokenizer.load(tokenizerDir);
        int contextLength = maxLength.orElseGet(() -> contextLength(tokenizerDir));
        TextTokenizer text = new ModelTokenizer(tokenizer);
        OpenAiCompletionsScorer scorer = new OpenAiCompletionsScorer(baseUrl, modelName, contextLength,
                promptsPerRequest, OpenAiCompletionsScorer.Retry.defaults(), timeout);
        Optional<ChatTemplate> chat = ChatTemplate.load(tokenizerDir);
        return new TokenizedLanguageModel(modelName, text, scorer, addSpecialTokens, promptsPerRequest,
                chat.map(t -> t::render));
    }

    /** max_position_embeddings (or n_positions / n_ctx) of config.json, else lm-eval's 2048. */
    static int contextLength(Path modelDir) {
        Path config = modelDir.resolve("config.json");
        if (!Files.isRegularFile(config)) {
            return DEFAULT_API_MAX_LENGTH;
        }
        try {
            JsonNode root = JsonInput.readTree(new ObjectMapper(), Files.readAllBytes(config));
            for (String key : new String[] {"max_position_embeddings", "n_positions", "n_ctx"}) {
                if (root.path(key).canConvertToInt()) {
                    return root.path(key).asInt();
                }
            }
            return DEFAULT_API_MAX_LENGTH;
        } catch (IOException e) {
            throw EvomergeException.usage("cannot read " + config + ": " + Reasons.of(e), e);
        }
    }
}
