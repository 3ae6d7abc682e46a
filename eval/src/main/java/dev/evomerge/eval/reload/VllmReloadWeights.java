package dev.evomerge.eval.reload;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.core.EvomergeException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * vLLM's way for a running OpenAI server: with {@code VLLM_SERVER_DEV_MODE=1} it has {@code POST /collective_rpc},
 * and the method {@code reload_weights} makes every worker read the weights again from the model directory the
 * server was started with. So the candidate is written over that directory (its safetensors and config.json) and the
 * server is asked to read it again; then {@code POST /reset_prefix_cache} drops the KV blocks that prefix caching kept
 * from the previous weights, which would otherwise be reused for equal prompt prefixes.
 */
public final class VllmReloadWeights implements ReloadProtocol {

    private final Optional<Path> servedDirectory;
    private final Duration timeout;

    /**
     * @param servedDirectory the directory vLLM serves, when the user names it; else it is read from
     *                        {@code GET /v1/models} ({@code root} of the served model)
     * @param timeout         how long one reload may take
     */
    public VllmReloadWeights(Optional<Path> servedDirectory, Duration timeout) {
        this.servedDirectory = servedDirectory.map(p -> p.toAbsolutePath().normalize());
        this.timeout = timeout;
    }

    @Override
    public String name() {
        return "vllm";
    }

    @Override
    public Optional<Path> requiredModelDirectory(ServerEndpoint server) {
        if (servedDirectory.isPresent()) {
            return servedDirectory;
        }
        ServerInfo info = ServerInfo.query(server);
        Path dir = info.modelPath().orElseThrow(() -> EvomergeException.usage("The vLLM server at " + server
                + " does not say which directory it serves (no 'root' in GET /v1/models); vLLM reloads weights"
                + " only from the directory it was started with, so start it with a local model directory."));
        if (!Files.isDirectory(dir)) {
            throw EvomergeException.usage("The vLLM server at " + server + " serves '" + dir + "', which is not a"
                    + " directory on this machine: vLLM reloads weights only from the directory it was started with,"
                    + " so start it with a local model directory that evomerge can write the candidates to.");
        }
        return Optional.of(dir.toAbsolutePath().normalize());
    }

    @Override
    public ReloadOutcome reload(ServerEndpoint server, Path modelDir) {
        long start = System.nanoTime();
        Path required;
        try {
            required = requiredModelDirectory(server).orElseThrow();
        } catch (EvomergeException e) {
            return ReloadOutcome.serverFailed(e.getMessage(), UpdateWeightsFromDisk.since(start));
        }
        if (!required.equals(modelDir.toAbsolutePath().normalize())) {
            return ReloadOutcome.refused("The vLLM server at " + server + " reloads only from " + required
                    + ", not from " + modelDir + ": write the candidate there.", UpdateWeightsFromDisk.since(start));
        }
        ObjectNode body = ServerHttp.JSON.createObjectNode().put("method", "reload_weights");
        try {
            ServerHttp.Reply reply = ServerHttp.post(server, "/collective_rpc", body, timeout);
            if (reply.status() == 404) {
                return ReloadOutcome.serverFailed("The vLLM server at " + server + " has no /collective_rpc"
                        + " endpoint (HTTP 404): start it with VLLM_SERVER_DEV_MODE=1.",
                        UpdateWeightsFromDisk.since(start));
            }
            if (!reply.ok()) {
                String detail = reply.json().path("detail").asText(reply.excerpt());
                return ReloadOutcome.serverFailed("The vLLM server at " + server + " failed to reload " + required
                        + " with HTTP " + reply.status() + ": " + detail, UpdateWeightsFromDisk.since(start));
            }
            ServerHttp.Reply reset = ServerHttp.post(server, "/reset_prefix_cache", ServerHttp.JSON.createObjectNode(),
                    timeout);
            if (!reset.ok()) {
                return ReloadOutcome.serverFailed("The vLLM server at " + server + " reloaded " + required
                        + " but could not drop its prefix cache (HTTP " + reset.status() + "): answers could mix"
                        + " the previous weights' cached prompts in.", UpdateWeightsFromDisk.since(start));
            }
        } catch (IOException e) {
            return ReloadOutcome.serverFailed("The vLLM server at " + server + " did not answer the reload of "
                    + required + ": " + ServerHttp.describe(e) + ".", UpdateWeightsFromDisk.since(start));
        }
        return ReloadOutcome.loaded("The vLLM server at " + server + " reloaded " + required + ".",
                UpdateWeightsFromDisk.since(start));
    }
}
