package dev.evomerge.evolve.pool;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.eval.reload.ReloadProtocols;
import dev.evomerge.eval.reload.ServerEndpoint;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Evaluation by inference servers that are already running ({@code --eval-server URL}, repeatable): each server is one
 * evaluation slot and is asked to reload every candidate's weights instead of being started per candidate.
 *
 * @param servers    the servers' URLs as given (with or without a trailing {@code /v1}); empty = no server pool
 * @param reload     how the servers are asked to load new weights ({@code --eval-server-reload}: detect, sglang, vllm,
 *                   evomerge or none)
 * @param scratchDir where candidates are merged for the servers to read ({@code --scratch-dir}); null = a folder under
 *                   /dev/shm when the model fits in its free space, else under the storage path
 */
public record ServerPoolOptions(List<String> servers, String reload, Path scratchDir) {

    /** The --eval-server-reload default: ask each server which protocol it speaks. */
    public static final String DETECT = "detect";
    /** The --eval-server-reload values. */
    public static final List<String> RELOADS = Stream.concat(Stream.of(DETECT), ReloadProtocols.NAMES.stream()).toList();
    /** No server pool: candidates are evaluated by the local workers (or a cluster). */
    public static final ServerPoolOptions NONE = new ServerPoolOptions(List.of(), DETECT, null);

    public ServerPoolOptions {
        servers = servers == null ? List.of() : List.copyOf(servers);
        reload = reload == null ? DETECT : reload;
    }

    /** Whether candidates go to running servers. */
    public boolean enabled() {
        return !servers.isEmpty();
    }

    /** Refuses a URL that is not http(s) or a reload protocol that is unknown, each with one sentence naming it. */
    public void check() {
        if (!RELOADS.contains(reload)) {
            throw EvomergeException.usage("--eval-server-reload must be one of " + String.join(", ", RELOADS) + ", got '"
                    + reload + "'.");
        }
        List<ServerEndpoint> endpoints = endpoints();
        if (endpoints.stream().map(ServerEndpoint::baseUrl).distinct().count() < endpoints.size()) {
            throw EvomergeException.usage("--eval-server names the same server twice (" + String.join(", ", servers)
                    + "); give each server once, it is one evaluation slot.");
        }
    }

    /** The servers as the reload protocols address them (base URL without /v1, the OPENAI_API_KEY if set). */
    public List<ServerEndpoint> endpoints() {
        return servers.stream().map(s -> ServerEndpoint.parse(s, "--eval-server")).toList();
    }

    /** The protocol the option names, or empty for {@code detect} (each server is asked). */
    public Optional<String> reloadOption() {
        return reload.equals(DETECT) ? Optional.empty() : Optional.of(reload);
    }
}
