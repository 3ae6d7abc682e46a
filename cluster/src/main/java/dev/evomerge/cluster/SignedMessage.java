package dev.evomerge.cluster;

import com.hazelcast.nio.serialization.compact.CompactReader;
import com.hazelcast.nio.serialization.compact.CompactSerializer;
import com.hazelcast.nio.serialization.compact.CompactWriter;

/**
 * What a {@link SignedTask} and a {@link SignedReply} are made of: a kind, the run id, a sequence number, a body
 * ({@link Wire}) and an HMAC over them made with the cluster secret (empty where the message is not signed).
 */
abstract class SignedMessage {

    final String kind;
    final String runId;
    final long seq;
    final byte[] body;
    final byte[] mac;

    SignedMessage(String kind, String runId, long seq, byte[] body, byte[] mac) {
        this.kind = kind;
        this.runId = runId;
        this.seq = seq;
        this.body = body;
        this.mac = mac;
    }

    /** Builds a message from its five fields. */
    interface Maker<T extends SignedMessage> {
        T make(String kind, String runId, long seq, byte[] body, byte[] mac);
    }

    /** The Compact form: field names and types are the schema; no class name travels. */
    static final class Serializer<T extends SignedMessage> implements CompactSerializer<T> {
        private final String typeName;
        private final Class<T> type;
        private final Maker<T> maker;

        Serializer(String typeName, Class<T> type, Maker<T> maker) {
            this.typeName = typeName;
            this.type = type;
            this.maker = maker;
        }

        @Override
        public T read(CompactReader r) {
            byte[] body = r.readArrayOfInt8("body");
            byte[] mac = r.readArrayOfInt8("mac");
            return maker.make(r.readString("kind"), r.readString("runId"), r.readInt64("seq"),
                    body == null ? new byte[0] : body, mac == null ? new byte[0] : mac);
        }

        @Override
        public void write(CompactWriter w, T t) {
            w.writeString("kind", t.kind);
            w.writeString("runId", t.runId);
            w.writeInt64("seq", t.seq);
            w.writeArrayOfInt8("body", t.body);
            w.writeArrayOfInt8("mac", t.mac);
        }

        @Override
        public String getTypeName() {
            return typeName;
        }

        @Override
        public Class<T> getCompactClass() {
            return type;
        }
    }
}
