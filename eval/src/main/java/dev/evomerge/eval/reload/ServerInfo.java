package dev.evomerge.eval.reload;

import com.fasterxml.jackson.databind.JsonNode;
import dev.evomerge.core.EvomergeException;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What a running server says about itself: {@code GET /v1/models} (every OpenAI-compatible server; vLLM, SGLang and
 * {@code evomerge serve} put their own name in {@code owned_by}) and, where it exists, SGLang's
 * {@code GET /get_model_info} (which {@code evomerge serve} answers too).
 *
 * @param kind          the server's kind, {@link ServerKind#UNKNOWN} when none of the known ones
 * @param modelId       the served model's id, the {@code model} field of completions requests
 * @param contextLength {@code max_model_len} when reported
 * @param modelPath     the directory the weights were loaded from, when reported (vLLM: {@code root};
 *                      SGLang and evomerge: {@code model_path})
 * @param evidence      what the kind was read from, for messages
 */
public record ServerInfo(ServerKind kind, String modelId, OptionalInt contextLength, Optional<Path> modelPath,
                         String evidence) {

    static final Duration TIMEOUT = Duration.ofSeconds(30);

    /**
     * Asks the server.
     *
     * @throws EvomergeException (runtime) naming the server when it does not answer {@code GET /v1/models} with a
     *                           model list
     */
    public static ServerInfo query(ServerEndpoint server) {
        ServerHttp.Reply models;
        try {
            models = ServerHttp.get(server, "/v1/models", TIMEOUT);
        } catch (IOException e) {
            throw EvomergeException.runtime("The server at " + server + " did not answer GET /v1/models: "
                    + ServerHttp.describe(e) + ".", e);
        }
        JsonNode data = models.json().path("data");
        if (!models.ok() || !data.isArray() || data.isEmpty()) {
            throw EvomergeException.runtime("The server at " + server + " answered GET /v1/models with HTTP "
                    + models.status() + " and no model list (" + models.excerpt() + "): it is not an"
                    + " OpenAI-compatible server.", null);
        }
        JsonNode entry = data.get(0);
        String id = entry.path("id").asText("");
        String owner = entry.path("owned_by").asText("");
        OptionalInt context = entry.path("max_model_len").canConvertToInt() && entry.path("max_model_len").asInt() > 0
                ? OptionalInt.of(entry.path("max_model_len").asInt()) : OptionalInt.empty();
        Optional<Path> root = pathOf(entry.path("root"));
        switch (owner) {
            case "vllm" -> {
                return new ServerInfo(ServerKind.VLLM, id, context, root, "GET /v1/models says owned_by vllm");
            }
            case "evomerge" -> {
                return new ServerInfo(ServerKind.EVOMERGE, id, context, modelInfoPath(server).or(() -> root),
                        "GET /v1/models says owned_by evomerge");
            }
            case "sglang" -> {
                return new ServerInfo(ServerKind.SGLANG, id, context, modelInfoPath(server),
                        "GET /v1/models says owned_by sglang");
            }
            default -> {
                Optional<Path> info = modelInfoPath(server);
                if (info.isPresent()) {
                    return new ServerInfo(ServerKind.SGLANG, id, context, info,
                            "GET /get_model_info answers with a model_path (SGLang's native API)");
                }
                return new ServerInfo(ServerKind.UNKNOWN, id, context, root, "GET /v1/models says owned_by '"
                        + owner + "' and GET /get_model_info gives no model_path");
            }
        }
    }

    /** {@code model_path} of SGLang's {@code GET /get_model_info}, empty when the server has no such endpoint. */
    private static Optional<Path> modelInfoPath(ServerEndpoint server) {
        try {
            ServerHttp.Reply info = ServerHttp.get(server, "/get_model_info", TIMEOUT);
            return info.ok() ? pathOf(info.json().path("model_path")) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static Optional<Path> pathOf(JsonNode node) {
        if (!node.isTextual() || node.asText().isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Path.of(node.asText()));
        } catch (java.nio.file.InvalidPathException e) {
            return Optional.empty();
        }
    }
}
