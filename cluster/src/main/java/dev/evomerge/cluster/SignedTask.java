package dev.evomerge.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;

import java.util.concurrent.Callable;

/**
 * The one callable the coordinator sends to workers: a kind ({@link Kind}), the run it belongs to, a sequence number
 * unique within the run, a body ({@link Wire}) and an HMAC over all four. It travels in Hazelcast's Compact format
 * with the explicit {@link SignedMessage.Serializer}; the worker's {@link WorkerGuard} checks it before anything in the body
 * is read.
 */
final class SignedTask extends SignedMessage implements Callable<SignedReply>, HazelcastInstanceAware {

    /** What a task asks for. */
    enum Kind {
        /** The coordinator's challenge: the worker answers with its proof and a challenge of its own (unsigned). */
        HELLO,
        /** The coordinator's answer to the worker's challenge (unsigned; the proof is in the body). */
        PROVE,
        /** Fingerprint the run's inputs as the worker sees them. */
        FINGERPRINT,
        /** Evaluate one candidate. */
        EVALUATE,
        /** The coordinator refuses the worker (inputs differ); the worker leaves. */
        REFUSE
    }

    private transient HazelcastInstance hz;

    SignedTask(String kind, String runId, long seq, byte[] body, byte[] mac) {
        super(kind, runId, seq, body, mac);
    }

    /** A task signed with the cluster secret. */
    static SignedTask signed(ClusterSecret secret, Kind kind, String runId, long seq, byte[] body) {
        return new SignedTask(kind.name(), runId, seq, body, secret.mac(macInput(kind.name(), runId, seq, body)));
    }

    /** A handshake message: its proof is in the body, the task itself carries no HMAC. */
    static SignedTask unsigned(Kind kind, String runId, byte[] body) {
        return new SignedTask(kind.name(), runId, 0, body, new byte[0]);
    }

    static byte[][] macInput(String kind, String runId, long seq, byte[] body) {
        return new byte[][] {ClusterSecret.utf8("task"), ClusterSecret.utf8(kind), ClusterSecret.utf8(runId), ClusterSecret.int64(seq), body};
    }

    @Override
    public void setHazelcastInstance(HazelcastInstance hz) {
        this.hz = hz;
    }

    @Override
    public SignedReply call() {
        Object guard = hz == null ? null : hz.getUserContext().get(WorkerGuard.KEY);
        if (!(guard instanceof TaskHandler h)) {
            // Not a worker (a coordinator or another member was sent a task): nothing here runs tasks.
            return SignedReply.refused(runId, seq, "this member is not an evomerge worker");
        }
        return h.handle(this, hz);
    }
}
