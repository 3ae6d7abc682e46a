package dev.evomerge.eval.reload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * SGLang's {@code POST /update_weights_from_disk} with {@code {"model_path": DIR}}: the server loads the weights of
 * DIR in place and answers {@code {"success": true|false, "message": ...}} with HTTP 200, or 400 when it cannot load
 * them (it then keeps serving its previous weights). {@code evomerge serve} implements the same endpoint, so the
 * {@code sglang} and {@code evomerge} protocols are this class under two names.
 */
public final class UpdateWeightsFromDisk implements ReloadProtocol {

    /** The endpoint's path on the server. */
    public static final String PATH = "/update_weights_from_disk";

    private final String name;
    private final Duration timeout;

    /**
     * @param name    the option value ({@code sglang} or {@code evomerge})
     * @param timeout how long one reload may take (a 7B model reads about 15 GB)
     */
    public UpdateWeightsFromDisk(String name, Duration timeout) {
        this.name = name;
        this.timeout = timeout;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public ReloadOutcome reload(ServerEndpoint server, Path modelDir) {
        long start = System.nanoTime();
        ObjectNode body = ServerHttp.JSON.createObjectNode();
        body.put("model_path", modelDir.toAbsolutePath().normalize().toString());
        ServerHttp.Reply reply;
        try {
            reply = ServerHttp.post(server, PATH, body, timeout);
        } catch (IOException e) {
            return ReloadOutcome.serverFailed("The server at " + server + " did not answer the reload of " + modelDir
                    + ": " + ServerHttp.describe(e) + ".", since(start));
        }
        JsonNode success = reply.json().get("success");
        String message = reply.json().path("message").asText(reply.excerpt());
        if (reply.status() == 200 && success != null && success.asBoolean()) {
            return ReloadOutcome.loaded("The server at " + server + " loaded " + modelDir + ": " + message,
                    since(start));
        }
        if ((reply.status() == 400 || reply.status() == 200) && success != null) {
            return ReloadOutcome.refused("The server at " + server + " refused to load " + modelDir
                    + " and keeps its previous weights: " + message, since(start));
        }
        if (reply.status() == 404) {
            return ReloadOutcome.serverFailed("The server at " + server + " has no " + PATH
                    + " endpoint (HTTP 404): it is not an SGLang or evomerge server; choose the right"
                    + " --eval-server-reload.", since(start));
        }
        return ReloadOutcome.serverFailed("The server at " + server + " failed the reload of " + modelDir
                + " with HTTP " + reply.status() + ": " + reply.excerpt(), since(start));
    }

    static Duration since(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }
}
