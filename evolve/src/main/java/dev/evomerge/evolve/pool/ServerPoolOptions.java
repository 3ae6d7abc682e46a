package dev.evomerge.evolve.pool;

import dev.evomerge.core.EvomergeException;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;

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
    public static final List<String> RELOADS = List.of(DETECT, "sglang", "vllm", "evomerge", "none");
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
        for (String s : servers) {
            root(s);
        }
        if (servers.stream().map(ServerPoolOptions::root).distinct().count() < servers.size()) {
            throw EvomergeException.usage("--eval-server names the same server twice (" + String.join(", ", servers)
                    + "); give each server once, it is one evaluation slot.");
        }
    }

    /**
     * The server's root URL ({@code http://host:port}, no trailing slash): SGLang's and evomerge's reload endpoints
     * live there, the OpenAI API under its {@code /v1}.
     */
    public static String root(String url) {
        String s = url.strip();
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        if (s.endsWith("/v1")) {
            s = s.substring(0, s.length() - 3);
        }
        try {
            URI u = new URI(s);
            if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
                throw new URISyntaxException(url, "not an http(s) URL with a host");
            }
        } catch (URISyntaxException e) {
            throw EvomergeException.usage("--eval-server " + url + " is not a server URL; give it as http://HOST:PORT"
                    + " (e.g. http://127.0.0.1:30000).");
        }
        return s;
    }
}
