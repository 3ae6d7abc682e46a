package dev.evomerge.eval.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.JsonInput;
import dev.evomerge.core.io.Reasons;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.load.LoadedModel;
import dev.evomerge.engine.chat.ChatTemplate;
import dev.evomerge.engine.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Consumer;

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
        return embedded(modelDir, load, addSpecialTokens, batchSize, Optional.empty());
    }

    /**
     * {@link #embedded(Path, LoadOptions, boolean, int)} with a window of {@code maxLength} tokens (--max-length;
     * default and most: the model's max_position_embeddings).
     */
    public static LanguageModel embedded(Path modelDir, LoadOptions load, boolean addSpecialTokens, int batchSize,
                                         Optional<Integer> maxLength) {
        maxLength.ifPresent(ContextWindow::new); // a window below 1 is refused before the model is loaded
        LoadedModel loaded = LoadedModel.load(modelDir, load);
        try {
            int context = loaded.contextLength();
            int window = maxLength.orElse(context);
            if (window > context) {
                throw EvomergeException.usage("--max-length " + window + " is more than the " + context
                        + " positions of model " + modelDir + " (max_position_embeddings in its config.json)");
            }
            return embedded(loaded, modelDir.toString(), true, addSpecialTokens, batchSize, new ContextWindow(window));
        } catch (RuntimeException e) {
            loaded.close();
            throw e;
        }
    }

    /**
     * Wraps an already loaded model (for example a resident model that merges write into), reading the model's
     * whole context.
     *
     * @param ownsModel close the engine model when the returned LanguageModel is closed
     */
    public static LanguageModel embedded(LoadedModel loaded, String name, boolean ownsModel, boolean addSpecialTokens,
                                         int batchSize) {
        return embedded(loaded, name, ownsModel, addSpecialTokens, batchSize,
                new ContextWindow(loaded.contextLength()));
    }

    private static LanguageModel embedded(LoadedModel loaded, String name, boolean ownsModel, boolean addSpecialTokens,
                                          int batchSize, ContextWindow window) {
        TextTokenizer text = new ModelTokenizer(loaded.tokenizer());
        return new TokenizedLanguageModel(name, text, new EmbeddedScorer(loaded.model(), text, name, ownsModel),
                addSpecialTokens, batchSize, loaded.chatTemplate().map(t -> t::render), window);
    }

    /**
     * A completions server; prompts are tokenized locally with {@code tokenizerDir}'s tokenizer.json (as lm-eval's
     * local-completions with tokenized_requests). The server's context comes from its {@code /v1/models}
     * ({@code max_model_len}); a server that does not report it is assumed to serve {@code tokenizerDir}'s
     * config.json context, with a warning. The window (--max-length) defaults to the most the server can score,
     * its context minus 2 ({@link OpenAiCompletionsScorer#maxLength()}); a larger --max-length is an error.
     *
     * @param modelName         the request's {@code model} field; the served model's name
     * @param promptsPerRequest loglikelihood prompts per HTTP request
     * @param warnings          where the assumed-context warning goes
     */
    public static LanguageModel openAiCompletions(Path tokenizerDir, String baseUrl, String modelName,
                                                  boolean addSpecialTokens, int promptsPerRequest,
                                                  Optional<Integer> maxLength, Duration timeout,
                                                  Consumer<String> warnings) {
        maxLength.ifPresent(ContextWindow::new); // a window below 1 is refused before the server is asked
        Tokenizer tokenizer = Tokenizer.load(tokenizerDir);
        OpenAiCompletionsScorer.Reported reported = OpenAiCompletionsScorer.reportedContextLength(baseUrl, modelName,
                timeout);
        int serverContext;
        if (reported.contextLength().isPresent()) {
            serverContext = reported.contextLength().getAsInt();
            if (maxLength.isPresent() && maxLength.get() > serverContext - 2) {
                throw EvomergeException.usage("--max-length " + maxLength.get() + " does not fit the server at "
                        + baseUrl + ": it reports a context of " + serverContext + " tokens (max_model_len), and a "
                        + "window of N tokens is sent as N + 1 prompt tokens plus 1 generated token; use --max-length "
                        + (serverContext - 2) + " or less");
            }
        } else if (maxLength.isPresent()) {
            // the user's window is trusted; a server that cannot take it answers context_length_exceeded
            serverContext = maxLength.get() + 2;
            warnings.accept("the server's context is unknown (" + reported.detail() + "); requests use --max-length "
                    + maxLength.get() + " as given, unchecked");
        } else {
            OptionalInt configured = contextLength(tokenizerDir);
            serverContext = configured.orElse(DEFAULT_API_MAX_LENGTH);
            warnings.accept("the server's context is unknown (" + reported.detail() + "), so it is taken "
                    + (configured.isPresent() ? "from " + tokenizerDir.resolve("config.json")
                    : "as lm-eval's default (" + tokenizerDir.resolve("config.json") + " names none)")
                    + " (" + serverContext + " tokens) and requests use --max-length " + (serverContext - 2)
                    + "; pass --max-length to choose the window");
        }
        TextTokenizer text = new ModelTokenizer(tokenizer);
        OpenAiCompletionsScorer scorer = new OpenAiCompletionsScorer(baseUrl, modelName, serverContext,
                promptsPerRequest, OpenAiCompletionsScorer.Retry.defaults(), timeout);
        Optional<ChatTemplate> chat = ChatTemplate.load(tokenizerDir);
        return new TokenizedLanguageModel(modelName, text, scorer, addSpecialTokens, promptsPerRequest,
                chat.map(t -> t::render), new ContextWindow(maxLength.orElse(scorer.maxLength())));
    }

    /** max_position_embeddings (or n_positions / n_ctx) of config.json; empty when it has none (or no config.json). */
    static OptionalInt contextLength(Path modelDir) {
        Path config = modelDir.resolve("config.json");
        if (!Files.isRegularFile(config)) {
            return OptionalInt.empty();
        }
        try {
            JsonNode root = JsonInput.readTree(new ObjectMapper(), Files.readAllBytes(config));
            for (String key : new String[] {"max_position_embeddings", "n_positions", "n_ctx"}) {
                if (root.path(key).canConvertToInt()) {
                    return OptionalInt.of(root.path(key).asInt());
                }
            }
            return OptionalInt.empty();
        } catch (IOException e) {
            throw EvomergeException.usage("cannot read " + config + ": " + Reasons.of(e), e);
        }
    }
}
