package dev.evomerge.cli;

import dev.evomerge.cluster.ClusterOptions;
import dev.evomerge.cluster.ClusterSecret;
import dev.evomerge.core.EvomergeException;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How a process joins the cluster, shared by {@code evolve} (the coordinator, port 5701 by default) and {@code worker}
 * (port 5702 by default); {@link #options(int)} builds them once.
 */
final class ClusterCliOptions {

    @Option(names = "--cluster-name", description = "The cluster of `evomerge worker` members and the `evolve` run they serve"
            + " (the same name on every member).")
    String clusterName;
    @Option(names = "--members", split = ",", description = "Cluster members host:port,...")
    List<String> members = new ArrayList<>();
    @Option(names = "--bind", defaultValue = "127.0.0.1", description = "Cluster address to bind (default: ${DEFAULT-VALUE}).")
    String bind;
    @Option(names = "--port", converter = PortConverter.class, description = "Cluster port (default: 5701 for evolve, 5702 for worker).")
    Integer port;
    @Option(names = "--allow-public-bind", description = "Allow binding the cluster to a wildcard address.")
    boolean allowPublicBind;
    @Option(names = "--cluster-secret-file", paramLabel = "PATH", description = "Cluster: file holding the cluster secret "
            + "(else $EVOMERGE_CLUSTER_SECRET); required unless bound to loopback.")
    Path clusterSecretFile;

    /** Whether a cluster was named. */
    boolean given() {
        return clusterName != null;
    }

    /** For a worker, which cannot run without a cluster to join: both the name and the members. */
    void require(String command) {
        if (clusterName == null || members.isEmpty()) {
            throw EvomergeException.usage(command + " needs --cluster-name and --members: the cluster to join and where its"
                    + " members are.");
        }
    }

    /** The secret is read from its file or the environment, never stored with the run's options. */
    ClusterOptions options(int defaultPort) {
        return new ClusterOptions(clusterName, members, bind, port != null ? port : defaultPort, allowPublicBind,
                ClusterSecret.resolve(clusterSecretFile, System.getenv()));
    }
}
