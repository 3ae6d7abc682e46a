package dev.evomerge.cli;

import dev.evomerge.evolve.pool.ServerPoolOptions;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The server pool's options, the same on {@code evolve} and {@code worker} (docs/evolution.md). */
final class ServerPoolCliOptions {

    @Option(names = "--eval-server", paramLabel = "URL", description = "A running inference server (vLLM, SGLang, "
            + "`evomerge serve`) that evaluates candidates, reloading each one's weights; repeatable, one slot each.")
    List<String> servers = new ArrayList<>();
    @Option(names = "--eval-server-reload", paramLabel = "PROTOCOL", defaultValue = ServerPoolOptions.DETECT,
            description = "How --eval-server servers load a candidate: detect, sglang, vllm, evomerge or none (default: ${DEFAULT-VALUE}).")
    String reload;
    @Option(names = "--scratch-dir", description = "Where candidates are merged for --eval-server servers (default: under "
            + "/dev/shm when they fit, else the storage path, or a worker's --work-dir).")
    Path scratchDir;

    ServerPoolOptions options() {
        return new ServerPoolOptions(servers, reload, scratchDir);
    }
}
