package dev.evomerge.eval.reload;

import dev.evomerge.core.EvomergeException;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The {@code --eval-server-reload} values and the protocol a server needs when the option is left out. */
public final class ReloadProtocols {

    /** The option values, in the order help lists them. */
    public static final List<String> NAMES = List.of("sglang", "vllm", "evomerge", "none");

    /** How long one reload may take before the server counts as failed: a 7B bf16 model is about 15 GB to read. */
    public static final Duration DEFAULT_RELOAD_TIMEOUT = Duration.ofMinutes(10);

    private ReloadProtocols() {
    }

    /**
     * The protocol an option value names.
     *
     * @throws EvomergeException (usage) naming the option for any other value
     */
    public static ReloadProtocol named(String name) {
        return switch (name.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "sglang" -> sglang();
            case "vllm" -> new VllmReloadWeights(Optional.empty(), DEFAULT_RELOAD_TIMEOUT);
            case "evomerge" -> evomerge();
            case "none" -> new NoReload();
            default -> throw EvomergeException.usage("--eval-server-reload " + name + " is not one of "
                    + String.join(", ", NAMES) + ".");
        };
    }

    public static ReloadProtocol sglang() {
        return new UpdateWeightsFromDisk("sglang", DEFAULT_RELOAD_TIMEOUT);
    }

    public static ReloadProtocol evomerge() {
        return new UpdateWeightsFromDisk("evomerge", DEFAULT_RELOAD_TIMEOUT);
    }

    /** The protocol of a server whose kind was detected. */
    public static ReloadProtocol forKind(ServerKind kind, ServerEndpoint server, String evidence) {
        return switch (kind) {
            case SGLANG -> sglang();
            case EVOMERGE -> evomerge();
            case VLLM -> new VllmReloadWeights(Optional.empty(), DEFAULT_RELOAD_TIMEOUT);
            case UNKNOWN -> throw EvomergeException.usage("Cannot tell which reload protocol the server at " + server
                    + " speaks (" + evidence + "); pass --eval-server-reload " + String.join("|", NAMES) + ".");
        };
    }

    /**
     * The protocol for {@code server}: {@code option} when given, else detected from what the server says
     * ({@link ServerInfo#query}).
     */
    public static ReloadProtocol choose(Optional<String> option, ServerEndpoint server) {
        if (option.isPresent()) {
            return named(option.get());
        }
        ServerInfo info = ServerInfo.query(server);
        return forKind(info.kind(), server, info.evidence());
    }

    /** A vLLM protocol for a server whose served directory the user names (when /v1/models does not). */
    public static ReloadProtocol vllm(Path servedDirectory) {
        return new VllmReloadWeights(Optional.of(servedDirectory), DEFAULT_RELOAD_TIMEOUT);
    }
}
