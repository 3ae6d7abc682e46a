package dev.evomerge.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.spi.impl.SerializationServiceSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.internal.serialization.Data;
import com.hazelcast.internal.serialization.InternalSerializationService;
import com.hazelcast.nio.serialization.HazelcastSerializationException;
import com.hazelcast.spi.exception.CallerNotMemberException;
import com.hazelcast.spi.exception.TargetNotMemberException;
import dev.evomerge.evolve.run.MetricKey;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.Evaluation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The members' serialization settings, on the serialization services of two real one-member clusters in this JVM: one
 * configured as evomerge's members are, one without the Java filter (what an attacker's member would send with).
 */
class ClusterSerializationTest {

    static HazelcastInstance filteredMember;
    static HazelcastInstance openMember;

    @BeforeAll
    static void start() throws Exception {
        LoopbackPorts ports = new LoopbackPorts();
        String name = "evomerge-serialization-" + ProcessHandle.current().pid();
        filteredMember = Hazelcast.newHazelcastInstance(new ClusterOptions(name + "-a", List.of(), "127.0.0.1", ports.next(), false)
                .toConfig("test", Map.of(), Map.of()).setInstanceName(name + "-a"));
        Config open = new ClusterOptions(name + "-b", List.of(), "127.0.0.1", ports.next(), false).toConfig("test", Map.of(), Map.of());
        open.setInstanceName(name + "-b").getSerializationConfig().setJavaSerializationFilterConfig(null);
        openMember = Hazelcast.newHazelcastInstance(open);
    }

    @AfterAll
    static void stop() {
        filteredMember.shutdown();
        openMember.shutdown();
    }

    static InternalSerializationService service(boolean filtered) {
        return (InternalSerializationService) ((SerializationServiceSupport) (filtered ? filteredMember : openMember)).getSerializationService();
    }

    @Test
    void theExceptionsHazelcastSendsBackStillArriveSoALostWorkersCandidatesAreResent() {
        InternalSerializationService open = service(false);
        InternalSerializationService filtered = service(true);
        IllegalStateException suppressed = new IllegalStateException("second");
        RuntimeException withCause = new HazelcastInstanceNotActiveException("shutting down");
        withCause.initCause(new java.io.IOException("socket closed"));
        withCause.addSuppressed(suppressed);
        for (Throwable t : List.of(new CallerNotMemberException("not a member yet"), new TargetNotMemberException("gone"),
                new com.hazelcast.spi.exception.RetryableHazelcastException("retry"), withCause, new java.util.concurrent.RejectedExecutionException("full"))) {
            Object back = filtered.toObject(open.toData(t));
            assertThat(back).isExactlyInstanceOf(t.getClass());
            assertThat(((Throwable) back).getMessage()).isEqualTo(t.getMessage());
        }
        Throwable back = filtered.toObject(open.toData(withCause));
        assertThat(back.getCause()).isInstanceOf(java.io.IOException.class).hasMessage("socket closed");
        assertThat(back.getSuppressed()).singleElement().isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aClassOffTheAllowListIsRejectedByNameBeforeItIsLoaded(@TempDir Path dir) {
        Data gadget = service(false).toData(new Gadget(dir.resolve("gadget")));
        assertThatThrownBy(() -> service(true).toObject(gadget)).isInstanceOf(HazelcastSerializationException.class)
                .hasStackTraceContaining("Resolving class " + Gadget.class.getName() + " is not allowed");
        assertThat(dir.resolve("gadget.readObject")).doesNotExist();
        // evomerge's own records are no longer Java-deserialized either (they travel as Wire bodies).
        Data spec = service(false).toData(new RunSpec("run-1", Map.of("k", "v"), List.of("/m")));
        assertThatThrownBy(() -> service(true).toObject(spec)).hasStackTraceContaining("is not allowed");
        Data uri = service(false).toData(java.net.URI.create("http://example.invalid/"));
        assertThatThrownBy(() -> service(true).toObject(uri)).hasStackTraceContaining("Resolving class java.net.URI is not allowed");
    }

    @Test
    void signedMessagesTravelAsCompactAndABodyHasOneEncoding() throws Exception {
        InternalSerializationService s = service(true);
        ClusterSecret secret = ClusterSecret.of("0123456789abcdef-secret", "test");
        Candidate c = new Candidate(2, 5, new double[] {0.25, 0.75}, WorkerRuntimeTest.linear());
        Map<MetricKey, Double> metrics = new LinkedHashMap<>();
        metrics.put(new MetricKey("b", "acc"), 0.5);
        metrics.put(new MetricKey("a", "acc"), 0.25);
        Evaluation e = new Evaluation(c, 0.75, metrics, null, 1.5, 2.5, "worker-1");
        byte[] body = new Wire.Out().evaluation(e).toBytes();
        SignedReply r = SignedReply.signed(secret, SignedReply.Kind.EVALUATION, "run-9", 42, body);
        Data data = s.toData(r);
        assertThat(data.isCompact()).isTrue();
        SignedReply back = s.toObject(data);
        assertThat(back.verified(secret, SignedReply.Kind.EVALUATION, "run-9", 42)).isTrue();
        assertThat(back.verified(secret, SignedReply.Kind.EVALUATION, "run-9", 43)).as("another sequence number").isFalse();
        assertThat(back.verified(secret, SignedReply.Kind.EVALUATION, "run-8", 42)).as("another run").isFalse();
        assertThat(back.verified(ClusterSecret.of("another-secret-0123456789", "test"), SignedReply.Kind.EVALUATION, "run-9", 42))
                .isFalse();
        Wire.In in = new Wire.In(back.body);
        Evaluation decoded = in.evaluation();
        in.end();
        assertThat(decoded.candidate().genes()).containsExactly(0.25, 0.75);
        // the config travels as its YAML text and is read back to an equal config
        assertThat(decoded.candidate().mergeYaml()).isEqualTo(c.mergeYaml()).startsWith("merge_method: linear\n");
        assertThat(decoded.candidate().config().withSourceText(null)).isEqualTo(c.config());
        assertThat(decoded.metrics()).isEqualTo(metrics);
        assertThat(decoded.worker()).isEqualTo("worker-1");
        // The same metrics in another order encode identically (what the HMAC covers does not depend on map order).
        Map<MetricKey, Double> reordered = new LinkedHashMap<>();
        reordered.put(new MetricKey("a", "acc"), 0.25);
        reordered.put(new MetricKey("b", "acc"), 0.5);
        assertThat(new Wire.Out().evaluation(new Evaluation(c, 0.75, reordered, null, 1.5, 2.5, "worker-1")).toBytes()).isEqualTo(body);
        SignedTask t = s.toObject(s.toData(SignedTask.signed(secret, SignedTask.Kind.EVALUATE, "run-9", 7, body)));
        assertThat(secret.verify(t.mac, SignedTask.macInput(t.kind, t.runId, t.seq, t.body))).isTrue();
        // A task signature never stands for a result signature over the same values.
        assertThat(secret.verify(t.mac, SignedReply.macInput(t.kind, t.runId, t.seq, t.body))).isFalse();
    }
}
