package dev.evomerge.cli;

import dev.evomerge.cluster.ClusterWorker;
import dev.evomerge.cluster.PathMap;
import dev.evomerge.cluster.WorkerEvaluatorFactory;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.Reasons;
import dev.evomerge.evolve.local.EvaluationSettings;
import dev.evomerge.evolve.local.LocalEvaluator;
import dev.evomerge.evolve.pool.WorkerServerPool;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code evomerge worker}: a cluster member that evaluates the candidates an {@code evolve --cluster-name} run sends. */
@Command(name = "worker", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run a worker member of an evomerge cluster: it evaluates candidates for `evolve --cluster-name`.")
final class WorkerCommand extends CliCommand implements Callable<Integer> {

    /** A worker's default cluster port: the one after the coordinator's, so both run on one machine. */
    static final int WORKER_PORT = EvolveCommand.COORDINATOR_PORT + 1;

    @Mixin
    ClusterCliOptions cluster;
    @Option(names = "--slots", description = "Candidates evaluated at once (default: 1, or the number of --eval-server).")
    Integer slots;
    @Option(names = "--path-map", description = "FROM=TO: rewrite the coordinator's path prefix FROM to TO (repeatable).")
    List<String> pathMap = new ArrayList<>();
    @Option(names = "--eval-server-cmd", description = "Evaluate with an inference server started per candidate ({model}, {port}).")
    String evalServerCmd;
    @Mixin
    ServerPoolCliOptions serverPool;
    @Option(names = "--work-dir", description = "Where on-disk merges go (default: a temporary folder).")
    Path workDir;
    @Option(names = {"-j", "--threads"}, description = "Threads per slot (default: all cores / slots).")
    Integer threads;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = out();
        cluster.require("worker");
        PathMap paths = PathMap.parse(pathMap);
        List<String> evalServers = serverPool.servers;
        if (!evalServers.isEmpty() && evalServerCmd != null) {
            throw EvomergeException.usage("--eval-server uses servers that are already running, --eval-server-cmd"
                    + " starts one per candidate: give one of the two.");
        }
        int slots = this.slots != null ? this.slots : Math.max(1, evalServers.size());
        WorkerServerPool servers = evalServers.isEmpty() ? null
                : new WorkerServerPool(serverPool.options(), this::warn);
        Path work = workDir != null ? workDir : Files.createTempDirectory("evomerge-worker");
        int perSlot = threads != null ? threads : Math.max(1, Runtime.getRuntime().availableProcessors() / slots);
        WorkerEvaluatorFactory factory = (runSpec, map) -> {
            String json = runSpec.settings().get("settings");
            if (json == null) {
                throw EvomergeException.usage("the coordinator sent no evaluation settings");
            }
            EvaluationSettings local = EvaluationSettings.fromJson(json).mapPaths(map::apply)
                    .onWorker(evalServerCmd, perSlot, workDir(work));
            if (servers != null) {
                return servers.forRun(runSpec.runId(), local);
            }
            return new LocalEvaluator(local, 1, LocalEvaluator.Strategy.POOL, this::warn);
        };
        try (ClusterWorker w = new ClusterWorker(cluster.options(WORKER_PORT), slots, paths, factory, m -> {
                    out.println("evomerge: " + m);
                    out.flush();
                })) {
            w.awaitShutdown();
            if (w.refusal() != null) {
                throw EvomergeException.usage("The coordinator refused this worker: " + w.refusal());
            }
        } finally {
            if (servers != null) {
                servers.close();
            }
        }
        return 0;
    }

    private static String workDir(Path work) {
        try {
            Files.createDirectories(work);
        } catch (IOException e) {
            throw EvomergeException.usage("Cannot create --work-dir " + work + ": " + Reasons.of(e) + ".", e);
        }
        return work.toAbsolutePath().toString();
    }
}
