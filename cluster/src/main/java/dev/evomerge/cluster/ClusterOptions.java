package dev.evomerge.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import dev.evomerge.core.EvomergeException;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How a process joins the evomerge cluster: its name (members with another name never join), the seed members to
 * contact, and the address and port to bind. Members bind to 127.0.0.1 unless told otherwise; binding to a wildcard
 * address needs {@code allowPublicBind}, because Hazelcast's open-source edition has no TLS or authentication. Any
 * address other than loopback needs a {@link ClusterSecret}: members prove they hold it before they get or send work.
 */
public record ClusterOptions(String clusterName, List<String> members, String bind, int port, boolean allowPublicBind,
                             ClusterSecret secret) {

    public static final String ROLE = "evomerge.role";
    public static final String SLOTS = "evomerge.slots";

    /** Without a cluster secret: loopback addresses only. */
    public ClusterOptions(String clusterName, List<String> members, String bind, int port, boolean allowPublicBind) {
        this(clusterName, members, bind, port, allowPublicBind, ClusterSecret.none());
    }

    public ClusterOptions {
        members = List.copyOf(members);
        if (secret == null) {
            secret = ClusterSecret.none();
        }
        if (clusterName == null || clusterName.isBlank()) {
            throw EvomergeException.usage("--cluster-name must not be empty.");
        }
        if (bind == null) {
            bind = "127.0.0.1";
        }
        InetAddress address;
        try {
            address = InetAddress.getByName(bind);
        } catch (UnknownHostException e) {
            throw EvomergeException.usage("--bind " + bind + " is not an address of this machine.", e);
        }
        if (address.isAnyLocalAddress() && !allowPublicBind) {
            throw EvomergeException.usage("--bind " + bind + " listens on every network interface; pass --allow-public-bind "
                    + "to confirm (the cluster has no TLS or authentication: use it only on a private network or VPN).");
        }
        if (!address.isLoopbackAddress() && !secret.given()) {
            throw EvomergeException.usage("--bind " + bind + " is reachable from other machines, so the cluster needs a secret: "
                    + "pass --cluster-secret-file PATH or set the environment variable " + ClusterSecret.ENV + " (the same on every member).");
        }
        for (String m : members) {
            if (!m.matches("[^:\\s]+(:\\d{1,5})?")) {
                throw EvomergeException.usage("--members entry '" + m + "' is not host or host:port.");
            }
        }
        if (port < 0 || port > 65535) {
            throw EvomergeException.usage("--port " + port + " is not a TCP port.");
        }
    }

    /** Hazelcast's property (and system property) choosing its logging: jdk, log4j, log4j2, slf4j or none. */
    static final String LOGGING_TYPE = "hazelcast.logging.type";

    /**
     * Members print only evomerge's own lines: Hazelcast's banner and its INFO and WARNING lines (members joining,
     * leaving, suspected) would bury them, and what a user needs (workers accepted or lost, refusals) evomerge reports
     * itself. Hazelcast's static loggers read the system property, so it is set too, unless the user chose a type
     * ({@code -Dhazelcast.logging.type=jdk} in EVOMERGE_JAVA_OPTS shows Hazelcast's own logging to diagnose a cluster).
     */
    static synchronized String quietLogging() {
        String chosen = System.getProperty(LOGGING_TYPE);
        if (chosen == null || chosen.isBlank()) {
            System.setProperty(LOGGING_TYPE, "none");
            return "none";
        }
        return chosen;
    }

    /** A Hazelcast member configuration: TCP-IP join only, no multicast or cloud discovery, no phone-home. */
    public Config toConfig(String role, Map<String, String> attributes, Map<String, Object> userContext) {
        Config c = new Config();
        c.setClusterName(clusterName);
        c.setInstanceName("evomerge-" + role + "-" + ProcessHandle.current().pid());
        c.setProperty("hazelcast.phone.home.enabled", "false");
        c.setProperty(LOGGING_TYPE, quietLogging());
        c.setProperty("hazelcast.socket.bind.any", "false");
        c.setProperty("hazelcast.local.localAddress", bind.equals("0.0.0.0") ? "" : bind);
        // Fail fast and detect a killed member within seconds rather than the default minute.
        c.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        c.setProperty("hazelcast.max.no.heartbeat.seconds", "6");
        // A member cut off by a network split (or a long pause of its JVM) rejoins within seconds, not the default
        // five minutes; the coordinator checks it again before it gets work.
        c.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
        c.setProperty("hazelcast.merge.next.run.delay.seconds", "5");
        c.setProperty("hazelcast.shutdownhook.enabled", "false");
        // Members are listed explicitly, so there is nothing to wait for before joining (the default waits 5 s or more).
        c.setProperty("hazelcast.wait.seconds.before.join", "1");
        NetworkConfig net = c.getNetworkConfig();
        net.setPort(port == 0 ? 5701 : port).setPortAutoIncrement(port == 0);
        // A coordinator restarted with --resume binds its port again at once, while connections of the killed one may
        // still be in TIME_WAIT there (on Linux this never lets two members listen on one port).
        net.setReuseAddress(true);
        if (!bind.equals("0.0.0.0") && !bind.equals("::")) {
            net.getInterfaces().setEnabled(true).addInterface(bind);
        }
        JoinConfig join = net.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).setMembers(members.isEmpty() ? List.of(bind) : members);
        c.getMemberAttributeConfig().setAttribute(ROLE, role);
        attributes.forEach((k, v) -> c.getMemberAttributeConfig().setAttribute(k, v));
        c.setUserContext(new ConcurrentHashMap<>(userContext));
        ClusterSerialization.configure(c.getSerializationConfig());
        return c;
    }
}
