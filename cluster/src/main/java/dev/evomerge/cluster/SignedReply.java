package dev.evomerge.cluster;

import com.hazelcast.nio.serialization.compact.CompactReader;
import com.hazelcast.nio.serialization.compact.CompactSerializer;
import com.hazelcast.nio.serialization.compact.CompactWriter;

/**
 * A worker's answer to a {@link SignedTask}: a kind ({@link Kind}), the run id and sequence number of the task it
 * answers, a body ({@link Wire}) and an HMAC over all four, made with the cluster secret. The coordinator discards
 * a reply whose HMAC, run id or sequence number is not what it expects.
 */
final class SignedReply {

    /** What a reply carries. */
    enum Kind {
        /** Answer to HELLO: the worker's challenge; {@code mac} is its proof. */
        HELLO,
        /** Answer to PROVE: whether the worker accepted the coordinator's proof (informational). */
        PROVED,
        /** Answer to FINGERPRINT: path to fingerprint. */
        FINGERPRINT,
        /** Answer to EVALUATE: the evaluation. */
        EVALUATION,
        /** Answer to EVALUATE when the evaluator threw: the message. */
        ERROR,
        /** Answer to REFUSE. */
        OK,
        /** The worker refused the task (unsigned, mis-signed, replayed, unknown coordinator): the reason. */
        REFUSED
    }

    final String kind;
    final String runId;
    final long seq;
    final byte[] body;
    final byte[] mac;

    SignedReply(String kind, String runId, long seq, byte[] body, byte[] mac) {
        this.kind = kind;
        this.runId = runId;
        this.seq = seq;
        this.body = body;
        this.mac = mac;
    }

    static SignedReply signed(ClusterSecret secret, Kind kind, String runId, long seq, byte[] body) {
        return new SignedReply(kind.name(), runId, seq, body, secret.mac(macInput(kind.name(), runId, seq, body)));
    }

    static SignedReply refused(String runId, long seq, String reason) {
        return new SignedReply(Kind.REFUSED.name(), runId == null ? "" : runId, seq, new Wire.Out().string(reason).toBytes(), new byte[0]);
    }

    static byte[][] macInput(String kind, String runId, long seq, byte[] body) {
        return new byte[][] {ClusterSecret.utf8("result"), ClusterSecret.utf8(kind), ClusterSecret.utf8(runId), ClusterSecret.int64(seq), body};
    }

    /** Whether this is a correctly signed reply of {@code kind} to task {@code seq} of {@code runId}. */
    boolean verified(ClusterSecret secret, Kind expected, String expectedRunId, long expectedSeq) {
        return expected.name().equals(kind) && expectedRunId.equals(runId) && expectedSeq == seq
                && secret.verify(mac, macInput(kind, runId, seq, body));
    }

    static final class Serializer implements CompactSerializer<SignedReply> {
        @Override
        public SignedReply read(CompactReader r) {
            byte[] body = r.readArrayOfInt8("body");
            byte[] mac = r.readArrayOfInt8("mac");
            return new SignedReply(r.readString("kind"), r.readString("runId"), r.readInt64("seq"),
                    body == null ? new byte[0] : body, mac == null ? new byte[0] : mac);
        }

        @Override
        public void write(CompactWriter w, SignedReply t) {
            w.writeString("kind", t.kind);
            w.writeString("runId", t.runId);
            w.writeInt64("seq", t.seq);
            w.writeArrayOfInt8("body", t.body);
            w.writeArrayOfInt8("mac", t.mac);
        }

        @Override
        public String getTypeName() {
            return "evomerge.Reply";
        }

        @Override
        public Class<SignedReply> getCompactClass() {
            return SignedReply.class;
        }
    }
}
