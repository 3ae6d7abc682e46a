package dev.evomerge.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.nio.serialization.compact.CompactReader;
import com.hazelcast.nio.serialization.compact.CompactSerializer;
import com.hazelcast.nio.serialization.compact.CompactWriter;

import java.util.concurrent.Callable;

/**
 * The one callable the coordinator sends to workers: a kind ({@link Kind}), the run it belongs to, a sequence number
 * unique within the run, a body ({@link Wire}) and an HMAC over all four. It travels in Hazelcast's Compact format
 * with the explicit {@link Serializer} below; the worker's {@link WorkerGuard} checks it before anything in the body
 * is read.
 */
final class SignedTask implements Callable<SignedReply>, HazelcastInstanceAware {

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

    final String kind;
    final String runId;
    final long seq;
    final byte[] body;
    final byte[] mac;
    private transient HazelcastInstance hz;

    SignedTask(String kind, String runId, long seq, byte[] body, byte[] mac) {
        this.kind = kind;
        this.runId = runId;
        this.seq = seq;
        this.body = body;
        this.mac = mac;
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

    /** The Compact form: field names and types are the schema; no class name travels. */
    static final class Serializer implements CompactSerializer<SignedTask> {
        @Override
        public SignedTask read(CompactReader r) {
            byte[] body = r.readArrayOfInt8("body");
            byte[] mac = r.readArrayOfInt8("mac");
            return new SignedTask(r.readString("kind"), r.readString("runId"), r.readInt64("seq"),
                    body == null ? new byte[0] : body, mac == null ? new byte[0] : mac);
        }

        @Override
        public void write(CompactWriter w, SignedTask t) {
            w.writeString("kind", t.kind);
            w.writeString("runId", t.runId);
            w.writeInt64("seq", t.seq);
            w.writeArrayOfInt8("body", t.body);
            w.writeArrayOfInt8("mac", t.mac);
        }

        @Override
        public String getTypeName() {
            return "evomerge.Task";
        }

        @Override
        public Class<SignedTask> getCompactClass() {
            return SignedTask.class;
        }
    }
}
