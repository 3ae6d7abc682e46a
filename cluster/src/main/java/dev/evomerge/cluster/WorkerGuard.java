package dev.evomerge.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.Evaluation;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * A worker's gate: it runs a task only from a coordinator that answered its challenge with the cluster secret, only
 * when the task's HMAC is right, and only once (each run's sequence numbers are remembered). Anything else is refused
 * with one log line and a refusal reply; the worker goes on serving. Every result it returns is signed.
 *
 * <p>Handshake (both sides prove the secret on a fresh nonce of the other, bound to both members' ids so an answer
 * cannot be relayed to or from a third member): the coordinator sends HELLO with its nonce; the worker answers with
 * HMAC("worker-proof", run, coordinator, worker, both nonces) and its own nonce; the coordinator sends PROVE with
 * HMAC("coordinator-proof", ...) over the same values, which the worker checks before it accepts the run's tasks.
 */
final class WorkerGuard implements TaskHandler {

    static final String KEY = "evomerge.guard";
    /** Challenges and runs remembered at once; older ones are forgotten (a member spamming HELLOs cannot fill memory). */
    private static final int MAX_PENDING = 64;
    private static final int MAX_RUNS = 16;

    private record Pending(UUID coordinator, byte[] coordinatorNonce, byte[] workerNonce) {
    }

    private final ClusterSecret secret;
    private final WorkerRuntime runtime;
    private final Consumer<String> onRefused;
    private final Consumer<String> log;
    private final Map<String, Pending> pending = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Pending> e) {
            return size() > MAX_PENDING;
        }
    };
    /** Accepted runs and the sequence numbers already run for each. */
    private final Map<String, Set<Long>> runs = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Set<Long>> e) {
            return size() > MAX_RUNS;
        }
    };

    WorkerGuard(ClusterSecret secret, WorkerRuntime runtime, Consumer<String> onRefused, Consumer<String> log) {
        this.secret = secret;
        this.runtime = runtime;
        this.onRefused = onRefused;
        this.log = log;
    }

    @Override
    public SignedReply handle(SignedTask task, HazelcastInstance hz) {
        UUID self = hz.getCluster().getLocalMember().getUuid();
        SignedTask.Kind kind;
        try {
            kind = SignedTask.Kind.valueOf(task.kind);
        } catch (IllegalArgumentException | NullPointerException e) {
            return refuse(task, "unknown kind of task");
        }
        if (task.runId == null) {
            return refuse(task, "no run id");
        }
        return switch (kind) {
            case HELLO -> hello(task, self);
            case PROVE -> prove(task, self, hz);
            default -> signedTask(kind, task);
        };
    }

    private SignedReply hello(SignedTask task, UUID self) {
        UUID coordinator;
        byte[] coordinatorNonce;
        try {
            Wire.In in = new Wire.In(task.body);
            coordinator = UUID.fromString(in.string());
            coordinatorNonce = in.bytes();
            in.end();
        } catch (Exception e) {
            return refuse(task, "malformed challenge");
        }
        byte[] workerNonce = ClusterSecret.nonce();
        synchronized (this) {
            pending.put(task.runId, new Pending(coordinator, coordinatorNonce, workerNonce));
        }
        byte[] proof = secret.mac(proofInput("worker-proof", task.runId, coordinator, self, coordinatorNonce, workerNonce));
        return new SignedReply(SignedReply.Kind.HELLO.name(), task.runId, 0, new Wire.Out().bytes(workerNonce).toBytes(), proof);
    }

    private SignedReply prove(SignedTask task, UUID self, HazelcastInstance hz) {
        byte[] workerNonce;
        byte[] proof;
        try {
            Wire.In in = new Wire.In(task.body);
            workerNonce = in.bytes();
            proof = in.bytes();
            in.end();
        } catch (Exception e) {
            return refuse(task, "malformed proof");
        }
        Pending p;
        synchronized (this) {
            p = pending.remove(task.runId);
        }
        if (p == null || !MessageDigest.isEqual(p.workerNonce(), workerNonce)) {
            return refuse(task, "a proof for no pending challenge");
        }
        boolean ok = secret.verify(proof, proofInput("coordinator-proof", task.runId, p.coordinator(), self, p.coordinatorNonce(), workerNonce));
        if (ok) {
            synchronized (this) {
                runs.putIfAbsent(task.runId, new HashSet<>());
            }
        } else {
            log.accept("coordinator " + address(hz, p.coordinator()) + " failed the cluster-secret challenge (its secret differs "
                    + "from this worker's): its tasks are refused");
        }
        return new SignedReply(SignedReply.Kind.PROVED.name(), task.runId, 0, new Wire.Out().int64(ok ? 1 : 0).toBytes(), new byte[0]);
    }

    static byte[][] proofInput(String label, String runId, UUID coordinator, UUID worker, byte[] coordinatorNonce, byte[] workerNonce) {
        return new byte[][] {ClusterSecret.utf8(label), ClusterSecret.utf8(runId), ClusterSecret.utf8(coordinator.toString()),
                ClusterSecret.utf8(worker.toString()), coordinatorNonce, workerNonce};
    }

    private SignedReply signedTask(SignedTask.Kind kind, SignedTask task) {
        if (task.mac.length == 0) {
            return refuse(task, "unsigned");
        }
        if (!secret.verify(task.mac, SignedTask.macInput(task.kind, task.runId, task.seq, task.body))) {
            return refuse(task, "wrong signature");
        }
        synchronized (this) {
            Set<Long> seen = runs.get(task.runId);
            if (seen == null) {
                return refuse(task, "its coordinator has not answered this worker's challenge");
            }
            if (!seen.add(task.seq)) {
                return refuse(task, "replayed (sequence number already run)");
            }
        }
        try {
            Wire.In in = new Wire.In(task.body);
            return switch (kind) {
                case FINGERPRINT -> {
                    RunSpec spec = in.runSpec();
                    in.end();
                    if (!spec.runId().equals(task.runId)) {
                        yield refuse(task, "its body is for another run");
                    }
                    Wire.Out out = new Wire.Out();
                    Map<String, String> prints = new LinkedHashMap<>();
                    for (String p : spec.inputPaths()) {
                        prints.put(p, InputFingerprint.of(Path.of(runtime.paths().apply(p))));
                    }
                    yield sign(SignedReply.Kind.FINGERPRINT, task, out.strings(prints).toBytes());
                }
                case EVALUATE -> {
                    RunSpec spec = in.runSpec();
                    Candidate c = in.candidate();
                    in.end();
                    if (!spec.runId().equals(task.runId)) {
                        yield refuse(task, "its body is for another run");
                    }
                    yield evaluate(task, spec, c);
                }
                case REFUSE -> {
                    String reason = in.string();
                    in.end();
                    onRefused.accept(reason);
                    yield sign(SignedReply.Kind.OK, task, new byte[0]);
                }
                default -> refuse(task, "unknown kind of task");
            };
        } catch (Exception e) {
            return refuse(task, "malformed body");
        }
    }

    private SignedReply evaluate(SignedTask task, RunSpec spec, Candidate c) {
        Evaluation e;
        try {
            e = runtime.evaluate(spec, c);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            return sign(SignedReply.Kind.ERROR, task, new Wire.Out().string("the worker was interrupted").toBytes());
        } catch (RuntimeException re) {
            return sign(SignedReply.Kind.ERROR, task, new Wire.Out().string(String.valueOf(re)).toBytes());
        }
        return sign(SignedReply.Kind.EVALUATION, task, new Wire.Out().evaluation(e).toBytes());
    }

    private SignedReply sign(SignedReply.Kind kind, SignedTask task, byte[] body) {
        return SignedReply.signed(secret, kind, task.runId, task.seq, body);
    }

    private SignedReply refuse(SignedTask task, String why) {
        log.accept("refused a task (" + printable(task.kind) + " for run " + printable(task.runId) + ", #" + task.seq + "): " + why);
        return SignedReply.refused(task.runId, task.seq, why);
    }

    /** What a sender chose, made safe for one log line. */
    private static String printable(String s) {
        if (s == null) {
            return "none";
        }
        String t = s.replaceAll("\\p{Cntrl}", "?");
        return t.length() > 200 ? t.substring(0, 200) + "..." : t;
    }

    private static String address(HazelcastInstance hz, UUID member) {
        for (Member m : hz.getCluster().getMembers()) {
            if (m.getUuid().equals(member)) {
                return m.getAddress().toString();
            }
        }
        return "(member " + member + ", not in the cluster)";
    }
}
