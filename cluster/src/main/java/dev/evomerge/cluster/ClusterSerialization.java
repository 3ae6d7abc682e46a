package dev.evomerge.cluster;

import com.hazelcast.config.ClassFilter;
import com.hazelcast.config.CompactSerializationConfig;
import com.hazelcast.config.JavaSerializationFilterConfig;
import com.hazelcast.config.SerializationConfig;

/**
 * How members encode what they send each other. The cluster's own messages ({@link SignedTask}, {@link SignedReply})
 * use Compact serialization with explicit serializers. Java serialization, which instantiates whatever class the
 * bytes name and runs its deserialization code, is closed: the filter's allow-list names only what Hazelcast itself
 * still sends that way (its operation exceptions and a few JDK value types); every other class, including evomerge's
 * own, is rejected by name before it is loaded. Reflective ("zero-config") Compact is closed the same way.
 */
final class ClusterSerialization {

    /**
     * The only classes Java deserialization may create on a member: the exceptions Hazelcast sends back when an
     * operation fails (a member not yet known, leaving, shutting down: the coordinator must see these to re-send a
     * candidate) and what a Throwable is made of. None of them runs code of its own when read.
     */
    static final String[] JAVA_ALLOW_LIST = {
            "java.lang.String", "java.lang.Boolean", "java.lang.Integer", "java.lang.Long", "java.lang.Double", "java.lang.Number",
            "java.lang.Throwable", "java.lang.Exception", "java.lang.RuntimeException", "java.lang.Error",
            "java.lang.IllegalStateException", "java.lang.IllegalArgumentException", "java.lang.NullPointerException",
            "java.lang.UnsupportedOperationException", "java.lang.InterruptedException", "java.lang.SecurityException",
            "java.lang.OutOfMemoryError", "java.io.IOException", "java.io.UncheckedIOException",
            "java.util.concurrent.RejectedExecutionException", "java.util.concurrent.ExecutionException",
            "java.util.concurrent.CancellationException", "java.util.concurrent.TimeoutException",
            "java.lang.StackTraceElement", "[Ljava.lang.StackTraceElement;", "[Ljava.lang.Throwable;",
            "java.util.ArrayList", "java.util.Collections$EmptyList", "java.util.Collections$UnmodifiableRandomAccessList",
            "java.util.Collections$UnmodifiableList", "java.util.Collections$UnmodifiableCollection",
            "com.hazelcast.core.HazelcastException", "com.hazelcast.core.HazelcastInstanceNotActiveException",
            "com.hazelcast.core.MemberLeftException", "com.hazelcast.core.OperationTimeoutException",
            "com.hazelcast.core.HazelcastOverloadException", "com.hazelcast.core.IndeterminateOperationStateException",
            "com.hazelcast.core.LocalMemberResetException", "com.hazelcast.core.RuntimeInterruptedException",
            "com.hazelcast.core.ConsistencyLostException", "com.hazelcast.nio.serialization.HazelcastSerializationException",
    };
    /** Hazelcast's operation exceptions ("retry elsewhere", "not a member", ...); the package holds nothing else. */
    static final String[] JAVA_ALLOW_PACKAGES = {"com.hazelcast.spi.exception"};

    private ClusterSerialization() {
    }

    static void configure(SerializationConfig config) {
        config.setJavaSerializationFilterConfig(new JavaSerializationFilterConfig()
                .setDefaultsDisabled(true)
                .setWhitelist(new ClassFilter().addClasses(JAVA_ALLOW_LIST).addPackages(JAVA_ALLOW_PACKAGES)));
        CompactSerializationConfig compact = config.getCompactSerializationConfig();
        compact.addSerializer(new SignedMessage.Serializer<>("evomerge.Task", SignedTask.class, SignedTask::new));
        compact.addSerializer(new SignedMessage.Serializer<>("evomerge.Reply", SignedReply.class, SignedReply::new));
        compact.setZeroConfigFilter(new JavaSerializationFilterConfig()
                .setDefaultsDisabled(true)
                .setWhitelist(new ClassFilter().addClasses(SignedTask.class.getName(), SignedReply.class.getName())));
    }
}
