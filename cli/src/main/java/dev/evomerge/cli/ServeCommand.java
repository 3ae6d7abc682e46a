package dev.evomerge.cli;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.WeightStorage;
import dev.evomerge.server.OpenAiServer;
import dev.evomerge.server.ReloadIgnoringWeightUpdates;
import dev.evomerge.server.WeightUpdates;
import dev.evomerge.server.ServedModel;
import dev.evomerge.server.ServerOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code evomerge serve DIR}: an OpenAI-compatible HTTP server over the in-JVM engine. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve a model over an OpenAI-compatible HTTP API: GET /v1/models, POST /v1/completions,"
                + " POST /v1/chat/completions, and POST /update_weights_from_disk to load new weights in place"
                + " (see docs/serve.md).",
                "Prints 'listening on http://HOST:PORT' once ready; Ctrl-C stops it."})
final class ServeCommand extends CliCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "DIR", description = "A Hugging Face model directory (config.json,"
            + " safetensors, tokenizer.json).")
    Path dir;

    @Option(names = "--host", defaultValue = "127.0.0.1",
            description = "Address to listen on (default: ${DEFAULT-VALUE}; 0.0.0.0 for every interface).")
    String host;

    @Option(names = "--port", converter = PortConverter.class, defaultValue = "8000", description = "Port (0 picks a free one; default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--api-key", defaultValue = "${env:EVOMERGE_API_KEY}",
            description = "Require 'Authorization: Bearer KEY' on /v1 requests (default: $EVOMERGE_API_KEY, else none).")
    String apiKey;

    @Option(names = "--served-model-name", paramLabel = "NAME",
            description = "The model id clients see (default: the directory's name).")
    String name;

    @CommandLine.Mixin
    EngineCliOptions engine;

    @Option(names = "--bf16-weights", description = "Keep weights as bfloat16 in memory (half the memory).")
    boolean bf16;

    // A faulty server for the evolution's fault tests: POST /update_weights_from_disk answers success and keeps the
    // old weights. Hidden from --help: no user wants it.
    @Option(names = "--test-ignore-weight-updates", hidden = true)
    boolean ignoreWeightUpdates;

    @Override
    public Integer call() {
        if (!Files.isDirectory(dir)) {
            throw EvomergeException.usage(dir + " is not a directory; serve needs a Hugging Face model directory.");
        }
        LoadOptions load = engine.load(LoadOptions.defaults()
                .withWeightStorage(bf16 ? WeightStorage.BFLOAT16 : WeightStorage.FLOAT32), err());
        ServerOptions options = new ServerOptions(host, port,
                Optional.ofNullable(apiKey).filter(k -> !k.isBlank()), ServerOptions.DEFAULT_MAX_BODY_BYTES);
        PrintWriter out = out();
        exposureWarning(host, options.apiKey().isPresent()).ifPresent(this::warn);
        try (ServedModel model = ServedModel.load(dir, name, load);
             OpenAiServer server = OpenAiServer.start(model, options, ignoreWeightUpdates
                     ? new ReloadIgnoringWeightUpdates() : WeightUpdates.inPlace())) {
            Thread hook = new Thread(server::close, "evomerge-serve-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            out.println("listening on " + server.baseUrl());
            out.flush();
            try {
                server.awaitClose();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running or has run; nothing to undo
                }
            }
        }
        return 0;
    }

    /**
     * The warning for a server reachable from other machines without an API key (as {@code worker} refuses a wildcard
     * bind without {@code --allow-public-bind}); empty for a loopback address or when a key is set.
     */
    static Optional<String> exposureWarning(String host, boolean hasApiKey) {
        if (hasApiKey) {
            return Optional.empty();
        }
        return !Hosts.reachableFromOtherMachines(host) ? Optional.empty() : Optional.of("--host " + host + " accepts requests from other machines and"
                + " no --api-key is set: anyone who can reach this port can use the model and make it load the weights"
                + " of any model directory this process can read.");
    }
}
