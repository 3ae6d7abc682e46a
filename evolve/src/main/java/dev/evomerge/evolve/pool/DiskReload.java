package dev.evomerge.evolve.pool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.core.EvomergeException;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * SGLang's "update weights from disk" endpoint, which {@code evomerge serve} implements too: {@code POST
 * /update_weights_from_disk} with {@code {"model_path": DIR}}; 200 with {@code "success": true} once the server serves
 * the new weights, 400 with a message when it refused them (and still serves the previous ones).
 */
final class DiskReload implements WeightReload {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Loading a large model's weights from disk takes a while; a server silent for this long is taken as gone. */
    private static final Duration TIMEOUT = Duration.ofMinutes(10);

    private final String root;
    private final String protocol;
    private final HttpClient http;

    DiskReload(String root, String protocol, HttpClient http) {
        this.root = root;
        this.protocol = protocol;
        this.http = http;
    }

    @Override
    public Path reload(Path merged) {
        String body;
        try {
            body = JSON.writeValueAsString(Map.of("model_path", merged.toString()));
        } catch (IOException e) {
            throw new IllegalStateException("a path is plain JSON", e);
        }
        HttpResponse<String> r;
        try {
            r = http.send(HttpRequest.newBuilder(URI.create(root + "/update_weights_from_disk")).timeout(TIMEOUT)
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new ServerGoneException("the evaluation server " + root + " did not answer the reload: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw EvomergeException.runtime("interrupted while " + root + " reloaded weights", e);
        }
        String message = message(r.body());
        if (r.statusCode() != 200 || !success(r.body())) {
            throw EvomergeException.runtime("the evaluation server " + root + " refused to load " + merged + " (HTTP "
                    + r.statusCode() + (message.isEmpty() ? "" : ": " + message) + ")", null);
        }
        return merged;
    }

    @Override
    public String protocol() {
        return protocol;
    }

    private static boolean success(String body) {
        try {
            JsonNode n = JSON.readTree(body);
            return !n.has("success") || n.get("success").asBoolean(false);
        } catch (IOException e) {
            return false;
        }
    }

    private static String message(String body) {
        try {
            JsonNode n = JSON.readTree(body);
            JsonNode m = n.has("message") ? n.get("message") : n.path("error").path("message");
            return m.asText("");
        } catch (IOException e) {
            return body.length() > 200 ? body.substring(0, 200) + "…" : body;
        }
    }
}
