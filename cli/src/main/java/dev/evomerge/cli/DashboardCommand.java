package dev.evomerge.cli;

import dev.evomerge.dashboard.DashboardServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code evomerge dashboard}: a read-only local web page of a run (or a folder of runs), refreshing while it goes on. */
@Command(name = "dashboard", mixinStandardHelpOptions = true,
        description = "Serve a live, read-only web dashboard of an evolution run (or of a folder of runs).")
final class DashboardCommand extends CliCommand implements Callable<Integer> {

    @Option(names = "--storage-path", required = true, description = "A run's --storage-path, or a folder of runs.")
    Path storage;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", converter = PortConverter.class, defaultValue = "8080", description = "Port (0 picks a free one; default: ${DEFAULT-VALUE}).")
    int port;

    @Override
    public Integer call() throws InterruptedException {
        exposureWarning(host).ifPresent(this::warn);
        DashboardServer server = new DashboardServer(storage, host, port);
        server.start();
        out().println("dashboard of " + storage + " at " + server.uri() + " (Ctrl-C to stop)");
        out().flush();
        CountDownLatch forever = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        forever.await();
        return 0;
    }

    /** The warning for a dashboard reachable from other machines: it has no access control. */
    static Optional<String> exposureWarning(String host) {
        return !Hosts.reachableFromOtherMachines(host) ? Optional.empty() : Optional.of("--host " + host + " shows the"
                + " run (recipes, scores, LLM exchanges) to anyone who can reach this port: the dashboard has no access"
                + " control.");
    }
}
