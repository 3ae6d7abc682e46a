package dev.evomerge.cluster;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The coordinator's log names a failure in words and simple class names, never a library's packages. */
class ClusterLogReasonTest {

    @Test
    void aWrappedHazelcastFailureIsNamedWithoutItsPackage() {
        // the message Hazelcast gave when a member was still joining (seen in a CI run's coordinator log)
        Exception e = new IllegalStateException("Failed to serialize 'dev.evomerge.cluster.SignedTask'",
                new IllegalStateException("com.hazelcast.core.OperationTimeoutException: PrepareSchemaReplicationOperation"
                        + " invocation failed to complete due to operation-heartbeat-timeout"));
        String r = ClusterEvaluator.reason(e);
        assertThat(r).isEqualTo("Failed to serialize 'SignedTask' (OperationTimeoutException:"
                + " PrepareSchemaReplicationOperation invocation failed to complete due to operation-heartbeat-timeout)");
    }

    @Test
    void pathsAddressesAndPlainWordsStayAsTheyAre() {
        String r = ClusterEvaluator.reason(new RuntimeException(
                "cannot read /tmp/run.1/genome.yml from [127.0.0.1]:5701 (e.g. a.b.c)"));
        assertThat(r).isEqualTo("cannot read /tmp/run.1/genome.yml from [127.0.0.1]:5701 (e.g. a.b.c)");
        assertThat(ClusterEvaluator.reason(new java.io.IOException())).isEqualTo("IOException");
    }
}
