package dev.evomerge.evolve.llm;

import dev.evomerge.core.EvomergeException;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/** Builds the chat client that {@code --llm-model}, {@code --llm-base-url} and {@code --api-key} describe. */
public final class ChatClients {

    /** OpenAI's endpoint, used when no base URL is given. */
    public static final String DEFAULT_BASE_URL = "https://api.openai.com/v1";
    /** The prefix of {@code --llm-model} that selects a local model directory. */
    public static final String LOCAL_PREFIX = "local:";
    /** Where the API key is read from when {@code --api-key} is not given. */
    public static final String API_KEY_ENV = "OPENAI_API_KEY";

    private ChatClients() {
    }

    /**
     * {@code local:DIR} loads {@link LocalChatClient}; any other model name talks to an OpenAI-compatible server at
     * {@code baseUrl} (null or blank: {@link #DEFAULT_BASE_URL}) with {@code apiKey}, else {@code OPENAI_API_KEY}.
     */
    public static ChatClient create(String llmModel, String baseUrl, String apiKey) {
        return create(llmModel, baseUrl, apiKey, System.getenv());
    }

    /** {@link #create(String, String, String)} reading the API key from {@code env}. */
    public static ChatClient create(String llmModel, String baseUrl, String apiKey, Map<String, String> env) {
        if (llmModel == null || llmModel.isBlank()) {
            throw EvomergeException.usage("--llm-model is empty; give a model name such as gpt-4o or local:DIR.");
        }
        if (llmModel.startsWith(LOCAL_PREFIX)) {
            String dir = llmModel.substring(LOCAL_PREFIX.length()).strip();
            if (dir.isEmpty()) {
                throw EvomergeException.usage("--llm-model local: needs a model directory, e.g. local:models/qwen.");
            }
            return LocalChatClient.load(Path.of(dir));
        }
        String base = baseUrl == null || baseUrl.isBlank() ? DEFAULT_BASE_URL : baseUrl.strip();
        String host = host(base);
        String key = apiKey != null && !apiKey.isBlank() ? apiKey.strip() : env.get(API_KEY_ENV);
        if ((key == null || key.isBlank()) && isOpenAi(host)) {
            throw EvomergeException.usage("No API key for " + base + ": pass --api-key or set " + API_KEY_ENV
                    + " (or point --llm-base-url at a server that needs none).");
        }
        return new OpenAiChatClient(base, key == null || key.isBlank() ? null : key, llmModel);
    }

    /** The host of an http(s) URL, or a usage error naming the option. */
    private static String host(String url) {
        try {
            URI u = new URI(url);
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            if ((!scheme.equals("http") && !scheme.equals("https")) || u.getHost() == null) {
                throw EvomergeException.usage("--llm-base-url " + url
                        + " is not an http(s) URL with a host, e.g. http://localhost:8000/v1.");
            }
            return u.getHost().toLowerCase(Locale.ROOT);
        } catch (URISyntaxException e) {
            throw EvomergeException.usage("--llm-base-url " + url + " is not a valid URL: " + e.getReason() + ".", e);
        }
    }

    /** OpenAI's own API always wants a key; loopback and other servers (vLLM, llama.cpp, Ollama) often do not. */
    private static boolean isOpenAi(String host) {
        return host.equals("openai.com") || host.endsWith(".openai.com");
    }
}
