package dev.evomerge.cli;

import dev.evomerge.cluster.ClusterOptions;
import dev.evomerge.cluster.ClusterSecret;
import dev.evomerge.cluster.ClusterWorker;
import dev.evomerge.cluster.PathMap;
import dev.evomerge.cluster.WorkerEvaluatorFactory;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.Reasons;
import dev.evomerge.evolve.local.EvaluationSettings;
import dev.evomerge.evolve.local.LocalEvaluator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

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
final class WorkerCommand implements Callable<Integer> {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--cluster-name", required = true, description = "The cluster to join (must match the coordinator's).")
    String clusterName;
    @Option(names = "--members", split = ",", required = true, description = "Cluster members host:port,...")
    List<String> members = new ArrayList<>();
    @Option(names = "--bind", defaultValue = "127.0.0.1", description = "Address to bind (default: ${DEFAULT-VALUE}).")
    String bind;
    @Option(names = "--port", converter = PortConverter.class, defaultValue = "5702", description = "Port (default: ${DEFAULT-VALUE}).")
    int port;
    @Option(names = "--allow-public-bind", description = "Allow binding to a wildcard address.")
    boolean allowPublicBind;
    @Option(names = "--cluster-secret-file", paramLabel = "PATH", description = "File holding the cluster secret (else "
            + "$EVOMERGE_CLUSTER_SECRET); required unless bound to loopback.")
    Path clusterSecretFile;
    @Option(names = "--slots", defaultValue = "1", description = "Candidates evaluated at once (default: ${DEFAULT-VALUE}).")
    int slots;
    @Option(names = "--path-map", description = "FROM=TO: rewrite the coordinator's path prefix FROM to TO (repeatable).")
    List<String> pathMap = new ArrayList<>();
    @Option(names = "--eval-server-cmd", description = "Evaluate with an inference server started per candidate ({model}, {port}).")
    String evalServerCmd;
    @Option(names = "--work-dir", description = "Where on-disk merges go (default: a temporary folder).")
    Path workDir;
    @Option(names = {"-j", "--threads"}, description = "Threads per slot (default: all cores / slots).")
    Integer threads;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        PathMap paths = PathMap.parse(pathMap);
        Path work = workDir != null ? workDir : Files.createTempDirectory("evomerge-worker");
        int perSlot = threads != null ? threads : Math.max(1, Runtime.getRuntime().availableProcessors() / slots);
        WorkerEvaluatorFactory factory = (runSpec, map) -> {
            String json = runSpec.settings().get("settings");
            if (json == null) {
                throw EvomergeException.usage("the coordinator sent no evaluation settings");
            }
            EvaluationSettings s = EvaluationSettings.fromJson(json).mapPaths(map::apply);
            boolean server = evalServerCmd != null;
            EvaluationSettings local = new EvaluationSettings(s.tasks(), s.includePaths(), s.dataDir(), s.limit(), s.numFewshot(),
                    s.batchSize(), s.applyChatTemplate(), !server && s.inMemory(), server ? "openai-completions" : s.backend(),
                    server ? evalServerCmd : s.serverCommand(), perSlot, s.randomSeed(), workDir(work), s.baseDirectory(),
                    s.residentModel(), s.modelPaths(), s.shuffle(), s.modelDirectories());
            return new LocalEvaluator(local, 1, LocalEvaluator.Strategy.POOL, w -> err.println("evomerge: warning: " + w));
        };
        try (ClusterWorker w = new ClusterWorker(new ClusterOptions(clusterName, members, bind, port, allowPublicBind,
                ClusterSecret.resolve(clusterSecretFile, System.getenv())), slots,
                paths, factory, m -> {
                    out.println("evomerge: " + m);
                    out.flush();
                })) {
            w.awaitShutdown();
            if (w.refusal() != null) {
                throw EvomergeException.usage("The coordinator refused this worker: " + w.refusal());
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
