package dev.evomerge.eval.reload;

import dev.evomerge.core.EvomergeException;

import java.net.URI;
import java.util.Objects;
import java.util.Optional;

/**
 * A running inference server as the evaluator addresses it: its base URL ({@code http://host:port}, without
 * {@code /v1}) and the API key sent as {@code Authorization: Bearer KEY}, if any.
 */
public record ServerEndpoint(URI baseUrl, Optional<String> apiKey) {

    public ServerEndpoint {
        Objects.requireNonNull(baseUrl, "baseUrl");
        Objects.requireNonNull(apiKey, "apiKey");
    }

    /**
     * Parses a URL as users write it ({@code http://127.0.0.1:8000}, with or without a trailing {@code /} or
     * {@code /v1}); the key is taken from {@code OPENAI_API_KEY} when set, as the openai-completions backend does.
     *
     * @param option the option the URL came from, for the error message (e.g. {@code --eval-server})
     */
    public static ServerEndpoint parse(String url, String option) {
        String key = System.getenv("OPENAI_API_KEY");
        return parse(url, option, key == null || key.isBlank() ? Optional.empty() : Optional.of(key));
    }

    /** {@link #parse(String, String)} with an explicit key. */
    public static ServerEndpoint parse(String url, String option, Optional<String> apiKey) {
        String u = url.strip();
        while (u.endsWith("/")) {
            u = u.substring(0, u.length() - 1);
        }
        if (u.endsWith("/v1")) {
            u = u.substring(0, u.length() - 3);
        }
        URI uri;
        try {
            uri = URI.create(u);
        } catch (IllegalArgumentException e) {
            throw EvomergeException.usage(option + " " + url + " is not a URL: " + e.getMessage());
        }
        if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
                || uri.getHost() == null) {
            throw EvomergeException.usage(option + " " + url + " must be an http(s) URL such as http://127.0.0.1:8000");
        }
        if (uri.getRawUserInfo() != null || uri.getRawQuery() != null) {
            // the URL is stored in run.db and names the server in every message: it must not carry a secret (and the
            // HTTP client would not send user-info anyway); the URL itself is not echoed here for the same reason
            throw EvomergeException.usage(option + " must be a plain http(s) URL without user:password@ or a query;"
                    + " give the server's key in OPENAI_API_KEY.");
        }
        return new ServerEndpoint(uri, apiKey);
    }

    /** The URL of a path on this server, e.g. {@code /v1/models}. */
    public URI resolve(String path) {
        return URI.create(baseUrl.toString() + path);
    }

    /** The base URL, as messages name the server. */
    @Override
    public String toString() {
        return baseUrl.toString();
    }
}
