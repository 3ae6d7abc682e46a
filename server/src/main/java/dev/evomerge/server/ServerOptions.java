package dev.evomerge.server;

import java.util.Optional;

/**
 * How the server listens.
 *
 * @param host         interface to bind (default 127.0.0.1: local clients only)
 * @param port         TCP port; 0 picks a free one
 * @param apiKey       when present, every /v1 request needs {@code Authorization: Bearer <apiKey>}
 * @param maxBodyBytes larger request bodies get HTTP 413
 */
public record ServerOptions(String host, int port, Optional<String> apiKey, int maxBodyBytes) {

    public static final int DEFAULT_MAX_BODY_BYTES = 32 << 20;

    public ServerOptions {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535, got " + port);
        }
        if (maxBodyBytes < 1) {
            throw new IllegalArgumentException("maxBodyBytes must be positive");
        }
    }

    /** Loopback, a free port, no API key. */
    public static ServerOptions localDefaults() {
        return new ServerOptions("127.0.0.1", 0, Optional.empty(), DEFAULT_MAX_BODY_BYTES);
    }

    public ServerOptions withPort(int p) {
        return new ServerOptions(host, p, apiKey, maxBodyBytes);
    }

    public ServerOptions withHost(String h) {
        return new ServerOptions(h, port, apiKey, maxBodyBytes);
    }

    public ServerOptions withApiKey(String key) {
        return new ServerOptions(host, port, Optional.ofNullable(key), maxBodyBytes);
    }
}
