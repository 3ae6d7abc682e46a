package dev.evomerge.cluster;

/**
 * A worker's answer to a {@link SignedTask}: a kind ({@link Kind}), the run id and sequence number of the task it
 * answers, a body ({@link Wire}) and an HMAC over all four, made with the cluster secret. The coordinator discards
 * a reply whose HMAC, run id or sequence number is not what it expects.
 */
final class SignedReply extends SignedMessage {

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

    SignedReply(String kind, String runId, long seq, byte[] body, byte[] mac) {
        super(kind, runId, seq, body, mac);
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
}
