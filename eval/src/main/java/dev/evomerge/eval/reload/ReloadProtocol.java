package dev.evomerge.eval.reload;

import java.nio.file.Path;
import java.util.Optional;

/**
 * How one kind of running inference server is told to serve a candidate's weights ({@code --eval-server-reload}).
 * Implementations are stateless and may be shared between servers and threads.
 */
public interface ReloadProtocol {

    /** The option value that selects it: {@code sglang}, {@code vllm}, {@code evomerge} or {@code none}. */
    String name();

    /**
     * False for {@code none}: the server's weights are managed by the user, nothing is reloaded and a probe cannot
     * tell anything.
     */
    default boolean reloads() {
        return true;
    }

    /**
     * The directory the candidate must be written to for this server, when the protocol cannot name one (vLLM reloads
     * from the directory it was started with); empty when any directory will do (the caller's scratch directory).
     * Asks the server when it has to.
     *
     * @throws dev.evomerge.core.EvomergeException (usage) when the server does not say which directory it serves
     */
    default Optional<Path> requiredModelDirectory(ServerEndpoint server) {
        return Optional.empty();
    }

    /**
     * Asks {@code server} to serve the weights in {@code modelDir} (a complete Hugging Face model directory with the
     * served model's architecture and shapes) and waits for its answer. Never throws for what the server answers or
     * for a server that does not answer: that is the outcome.
     */
    ReloadOutcome reload(ServerEndpoint server, Path modelDir);
}
