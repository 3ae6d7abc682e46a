package dev.evomerge.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.IExecutorService;
import dev.evomerge.evolve.run.CandidateEvaluator;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.EvolutionListener;
import dev.evomerge.evolve.EvolutionRun;
import dev.evomerge.evolve.store.RunStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The cluster's security with real worker JVMs on 127.0.0.1: members prove the cluster secret before they get or send work, tasks
 * and results are signed, and Java deserialization is closed to every class off the allow-list.
 */
class ClusterSecurityTest {

    static final String SECRET = "correct horse battery staple 0123456789";
    static final String WRONG = "incorrect horse battery staple 9876543210";

    final List<Process> processes = new ArrayList<>();
    final List<HazelcastInstance> members = new ArrayList<>();
    final LoopbackPorts ports = new LoopbackPorts();

    @AfterEach
    void stopAll() {
        members.forEach(HazelcastInstance::shutdown);
        processes.forEach(Process::destroyForcibly);
    }

    /** A TestWorkerMain JVM with one slot; {@code secret} (or none) in its environment, as `evomerge worker` reads it. */
    Process worker(Path log, String secret, String cluster, String members, int port, String... props) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Xmx256m", "-Devomerge.test.delay=100",
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "-Djava.util.logging.config.file=/dev/null",
                "-Dhazelcast.wait.seconds.before.join=1"));
        cmd.addAll(List.of(props));
        cmd.addAll(List.of(TestWorkerMain.class.getName(), cluster, members, String.valueOf(port), "1"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().remove(ClusterSecret.ENV);
        if (secret != null) {
            pb.environment().put(ClusterSecret.ENV, secret);
        }
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    static ClusterOptions options(String cluster, String members, int port, String secret) {
        return new ClusterOptions(cluster, List.of(members.split(",")), "127.0.0.1", port, false,
                secret == null ? ClusterSecret.none() : ClusterSecret.of(secret, "test"));
    }

    /** A member started in this JVM by someone who knows the cluster name and members but not (necessarily) the secret. */
    HazelcastInstance intruder(ClusterOptions o, boolean javaFilter) {
        Config c = o.toConfig("intruder", Map.of(), Map.of());
        c.setLiteMember(true);
        if (!javaFilter) {
            c.getSerializationConfig().setJavaSerializationFilterConfig(null); // an attacker's own member filters nothing
        }
        HazelcastInstance hz = Hazelcast.newHazelcastInstance(c);
        members.add(hz);
        return hz;
    }

    static Member workerAt(HazelcastInstance hz, int port) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < end) {
            for (Member m : hz.getCluster().getMembers()) {
                if (m.getAddress().getPort() == port && "worker".equals(m.getAttribute(ClusterOptions.ROLE))) {
                    return m;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no worker at port " + port + " joined");
    }

    static void await(Supplier<Boolean> condition, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.get()) {
            assertThat(System.nanoTime()).as(what).isLessThan(end);
            Thread.sleep(50);
        }
    }

    static String reason(SignedReply r) throws IOException {
        return new Wire.In(r.body).string();
    }

    @Test
    void aWorkerWithAWrongSecretGetsNoCandidateAndTheResultEqualsASingleProcessRun(@TempDir Path dir) throws Exception {
        Path model = ClusterProcessTest.model(dir.resolve("model"), "{\"num_hidden_layers\": 4}");
        String cluster = "evomerge-secret-" + ProcessHandle.current().pid();
        int pc = ports.next(), pg = ports.next(), pb = ports.next();
        String all = "127.0.0.1:" + pc + ",127.0.0.1:" + pg + ",127.0.0.1:" + pb;
        Process good = worker(dir.resolve("good.log"), SECRET, cluster, all, pg);
        Process bad = worker(dir.resolve("bad.log"), WRONG, cluster, all, pb);
        List<String> log = new ArrayList<>();
        Path clustered = dir.resolve("clustered");
        EvolutionRun.Result result;
        try (ClusterEvaluator ce = new ClusterEvaluator(options(cluster, all, pc, SECRET), ClusterProcessTest.spec(model),
                Duration.ofSeconds(60), 2, m -> { synchronized (log) { log.add(m); } });
             RunStore store = RunStore.open(clustered)) {
            assertThat(ce.awaitWorkers(1, Duration.ofSeconds(60))).as("log: %s", log).isTrue();
            await(() -> { synchronized (log) { return log.stream().anyMatch(l -> l.startsWith("worker [127.0.0.1]:" + pb + " failed")); } },
                    "the wrong-secret worker is challenged");
            result = new EvolutionRun(store, clustered, ClusterProcessTest.genome(), ClusterProcessTest.TASKS,
                    ClusterProcessTest.optimizer(), ce, new EvolutionListener() { }).run(0, 2, null);
            List<Evaluation> records = store.allCandidates();
            assertThat(records).hasSize(3 * 8).allSatisfy(c -> {
                assertThat(c.ok()).isTrue();
                assertThat(c.worker()).isEqualTo("worker-" + good.pid());
            });
            assertThat(ce.workers()).isEqualTo(1);
        }
        assertThat(log).containsOnlyOnce("worker [127.0.0.1]:" + pb + " failed the cluster-secret challenge (its secret differs "
                + "from this coordinator's): it gets no work");
        await(() -> read(dir.resolve("bad.log")).contains("failed the cluster-secret challenge"), "the bad worker's line");
        assertThat(read(dir.resolve("bad.log")))
                .contains("coordinator [127.0.0.1]:" + pc + " failed the cluster-secret challenge (its secret differs from this worker's)")
                .doesNotContain(SECRET).doesNotContain(WRONG);
        assertThat(String.join("\n", log)).doesNotContain(SECRET).doesNotContain(WRONG);
        assertThat(bad.isAlive()).as("a worker whose secret differs keeps running (the coordinator may be the impostor)").isTrue();

        Path single = dir.resolve("single");
        EvolutionRun.Result reference;
        CandidateEvaluator local = TestWorkerMain.evaluator(0, "local");
        try (RunStore store = RunStore.open(single)) {
            reference = new EvolutionRun(store, single, ClusterProcessTest.genome(), ClusterProcessTest.TASKS,
                    ClusterProcessTest.optimizer(), local, new EvolutionListener() { }).run(0, 2, null);
        }
        assertThat(result.best().score()).isEqualTo(reference.best().score());
        assertThat(result.best().candidate().genes()).containsExactly(reference.best().candidate().genes());
    }

    @Test
    void tasksFromAMemberWithoutTheSecretAreRefusedAndTheWorkerKeepsServing(@TempDir Path dir) throws Exception {
        Path model = ClusterProcessTest.model(dir.resolve("model"), "{\"num_hidden_layers\": 4}");
        String cluster = "evomerge-intruder-" + ProcessHandle.current().pid();
        int pw = ports.next(), pi = ports.next(), pc = ports.next();
        String all = "127.0.0.1:" + pw + ",127.0.0.1:" + pi + ",127.0.0.1:" + pc;
        Path wlog = dir.resolve("w.log");
        Process w = worker(wlog, SECRET, cluster, all, pw);
        HazelcastInstance intruder = intruder(options(cluster, all, pi, WRONG), true);
        Member target = workerAt(intruder, pw);
        IExecutorService control = intruder.getExecutorService(ClusterWorker.CONTROL);
        IExecutorService eval = intruder.getExecutorService(ClusterWorker.EXECUTOR);
        RunSpec spec = ClusterProcessTest.spec(model);
        ClusterSecret wrong = ClusterSecret.of(WRONG, "test");

        // A Refuse signed with the wrong secret would make the worker leave; an unsigned Evaluate would take a slot.
        SignedReply refuse = control.submitToMember(SignedTask.signed(wrong, SignedTask.Kind.REFUSE, spec.runId(), 1,
                new Wire.Out().string("go away").toBytes()), target).get(30, TimeUnit.SECONDS);
        assertThat(refuse.kind).isEqualTo("REFUSED");
        assertThat(reason(refuse)).isEqualTo("wrong signature");
        SignedReply evaluate = eval.submitToMember(new SignedTask("EVALUATE", spec.runId(), 2,
                new Wire.Out().runSpec(spec).candidate(ClusterTimeoutTest.candidates(1).getFirst()).toBytes(), new byte[0]), target)
                .get(30, TimeUnit.SECONDS);
        assertThat(evaluate.kind).isEqualTo("REFUSED");
        assertThat(reason(evaluate)).isEqualTo("unsigned");

        // The intruder answers the worker's challenge with its own secret: the worker names it and accepts nothing.
        byte[] nonce = ClusterSecret.nonce();
        java.util.UUID self = intruder.getCluster().getLocalMember().getUuid();
        SignedReply hello = control.submitToMember(SignedTask.unsigned(SignedTask.Kind.HELLO, "run-x",
                new Wire.Out().string(self.toString()).bytes(nonce).toBytes()), target).get(30, TimeUnit.SECONDS);
        byte[] workerNonce = new Wire.In(hello.body).bytes();
        assertThat(wrong.verify(hello.mac, WorkerGuard.proofInput("worker-proof", "run-x", self, target.getUuid(), nonce, workerNonce)))
                .as("the worker's proof does not verify with another secret").isFalse();
        SignedReply proved = control.submitToMember(SignedTask.unsigned(SignedTask.Kind.PROVE, "run-x", new Wire.Out().bytes(workerNonce)
                .bytes(wrong.mac(WorkerGuard.proofInput("coordinator-proof", "run-x", self, target.getUuid(), nonce, workerNonce)))
                .toBytes()), target).get(30, TimeUnit.SECONDS);
        assertThat(new Wire.In(proved.body).int64()).isZero();
        SignedReply afterChallenge = control.submitToMember(SignedTask.signed(wrong, SignedTask.Kind.REFUSE, "run-x", 3,
                new Wire.Out().string("go away").toBytes()), target).get(30, TimeUnit.SECONDS);
        assertThat(reason(afterChallenge)).isEqualTo("wrong signature");

        assertThat(read(wlog))
                .contains("refused a task (REFUSE for run run-1, #1): wrong signature")
                .contains("refused a task (EVALUATE for run run-1, #2): unsigned")
                .contains("coordinator [127.0.0.1]:" + pi + " failed the cluster-secret challenge")
                .contains("refused a task (REFUSE for run run-x, #3): wrong signature")
                .doesNotContain("refused by the coordinator");
        assertThat(w.isAlive()).isTrue();

        // The worker still serves the real coordinator.
        List<String> log = new ArrayList<>();
        Map<Integer, Evaluation> reported = new ConcurrentHashMap<>();
        try (ClusterEvaluator ce = new ClusterEvaluator(options(cluster, all, pc, SECRET), spec, Duration.ofSeconds(60), 2,
                m -> { synchronized (log) { log.add(m); } })) {
            assertThat(ce.awaitWorkers(1, Duration.ofSeconds(60))).as("log: %s", log).isTrue();
            ce.evaluate(ClusterTimeoutTest.candidates(3), e -> reported.put(e.candidate().index(), e));
            assertThat(ce.discardedResults()).isZero();
        }
        assertThat(reported).hasSize(3).allSatisfy((i, e) -> {
            assertThat(e.error()).isNull();
            assertThat(e.metrics()).isEqualTo(TestWorkerMain.metrics(e.candidate().genes()));
            assertThat(e.worker()).isEqualTo("worker-" + w.pid());
        });
    }

    @Test
    void aReplayedSignedTaskIsRefused(@TempDir Path dir) throws Exception {
        Path model = ClusterProcessTest.model(dir.resolve("model"), "{\"num_hidden_layers\": 4}");
        String cluster = "evomerge-replay-" + ProcessHandle.current().pid();
        int pw = ports.next(), pc = ports.next();
        String all = "127.0.0.1:" + pw + ",127.0.0.1:" + pc;
        Path wlog = dir.resolve("w.log");
        worker(wlog, SECRET, cluster, all, pw);
        // A member that holds the secret goes through the challenge, then the same signed task arrives twice (as a
        // copy taken off the unencrypted network would).
        HazelcastInstance coordinator = intruder(options(cluster, all, pc, SECRET), true);
        Member target = workerAt(coordinator, pw);
        IExecutorService control = coordinator.getExecutorService(ClusterWorker.CONTROL);
        ClusterSecret secret = ClusterSecret.of(SECRET, "test");
        RunSpec spec = ClusterProcessTest.spec(model);
        java.util.UUID self = coordinator.getCluster().getLocalMember().getUuid();
        byte[] nonce = ClusterSecret.nonce();
        SignedReply hello = control.submitToMember(SignedTask.unsigned(SignedTask.Kind.HELLO, spec.runId(),
                new Wire.Out().string(self.toString()).bytes(nonce).toBytes()), target).get(30, TimeUnit.SECONDS);
        byte[] workerNonce = new Wire.In(hello.body).bytes();
        assertThat(secret.verify(hello.mac, WorkerGuard.proofInput("worker-proof", spec.runId(), self, target.getUuid(), nonce, workerNonce)))
                .isTrue();
        SignedReply proved = control.submitToMember(SignedTask.unsigned(SignedTask.Kind.PROVE, spec.runId(), new Wire.Out().bytes(workerNonce)
                .bytes(secret.mac(WorkerGuard.proofInput("coordinator-proof", spec.runId(), self, target.getUuid(), nonce, workerNonce)))
                .toBytes()), target).get(30, TimeUnit.SECONDS);
        assertThat(new Wire.In(proved.body).int64()).isEqualTo(1);

        SignedTask task = SignedTask.signed(secret, SignedTask.Kind.FINGERPRINT, spec.runId(), 7, new Wire.Out().runSpec(spec).toBytes());
        SignedReply first = control.submitToMember(task, target).get(30, TimeUnit.SECONDS);
        assertThat(first.verified(secret, SignedReply.Kind.FINGERPRINT, spec.runId(), 7)).isTrue();
        assertThat(new Wire.In(first.body).strings()).containsExactly(Map.entry(model.toString(), InputFingerprint.of(model)));
        SignedReply again = control.submitToMember(task, target).get(30, TimeUnit.SECONDS);
        assertThat(again.kind).isEqualTo("REFUSED");
        assertThat(reason(again)).isEqualTo("replayed (sequence number already run)");
        assertThat(read(wlog)).containsOnlyOnce("refused a task (FINGERPRINT for run run-1, #7): replayed (sequence number already run)");
    }

    @Test
    void aForgedResultIsDiscardedAndTheCandidateEvaluatedElsewhere(@TempDir Path dir) throws Exception {
        Path model = ClusterProcessTest.model(dir.resolve("model"), "{\"num_hidden_layers\": 4}");
        String cluster = "evomerge-forged-" + ProcessHandle.current().pid();
        int pc = ports.next(), pt = ports.next(), pg = ports.next();
        String all = "127.0.0.1:" + pc + ",127.0.0.1:" + pt + ",127.0.0.1:" + pg;
        Process tamper = worker(dir.resolve("tamper.log"), SECRET, cluster, all, pt, "-Devomerge.test.tamper=true");
        Process good = worker(dir.resolve("good.log"), SECRET, cluster, all, pg);
        List<String> log = new ArrayList<>();
        Map<Integer, List<Evaluation>> reported = new ConcurrentHashMap<>();
        var candidates = ClusterTimeoutTest.candidates(6);
        long discarded;
        try (ClusterEvaluator ce = new ClusterEvaluator(options(cluster, all, pc, SECRET), ClusterProcessTest.spec(model),
                Duration.ofSeconds(60), 2, m -> { synchronized (log) { log.add(m); } })) {
            assertThat(ce.awaitWorkers(2, Duration.ofSeconds(60))).as("log: %s", log).isTrue();
            ce.evaluate(candidates, e -> reported.computeIfAbsent(e.candidate().index(), k -> new ArrayList<>()).add(e));
            discarded = ce.discardedResults();
            assertThat(ce.workers()).isEqualTo(1);
        }
        // Both workers got candidates at once; every tampered result was discarded and its candidate evaluated
        // elsewhere. The tampering worker may have had a second candidate in flight before its first result came back.
        String tampered = read(dir.resolve("tamper.log"));
        long forged = tampered.lines().filter(l -> l.startsWith("TAMPERED")).count();
        assertThat(forged).isBetween(1L, 2L);
        assertThat(discarded).isEqualTo(forged);
        assertThat(reported).hasSize(6).allSatisfy((i, es) -> {
            assertThat(es).hasSize(1);
            Evaluation e = es.getFirst();
            assertThat(e.error()).isNull();
            assertThat(e.metrics()).isEqualTo(TestWorkerMain.metrics(e.candidate().genes()));
            assertThat(e.worker()).isEqualTo("worker-" + good.pid());
        });
        assertThat(log).filteredOn(l -> l.startsWith("discarded the result of worker [127.0.0.1]:" + pt + " for candidate "))
                .hasSize((int) forged).allMatch(l -> l.contains(": a wrong signature, run or sequence number ("));
        assertThat(tamper.isAlive()).isTrue();
    }

    @Test
    void aJavaSerializedObjectOfAClassOffTheAllowListIsRejectedBeforeAnyOfItsCodeRuns(@TempDir Path dir) throws Exception {
        String cluster = "evomerge-gadget-" + ProcessHandle.current().pid();
        int pw = ports.next(), pi = ports.next();
        String all = "127.0.0.1:" + pw + ",127.0.0.1:" + pi;
        Path marker = dir.resolve("gadget");
        Process w = worker(dir.resolve("w.log"), SECRET, cluster, all, pw, "-Devomerge.test.gadget.marker=" + marker);
        HazelcastInstance intruder = intruder(options(cluster, all, pi, null), false);
        Member target = workerAt(intruder, pw);
        var future = intruder.getExecutorService(ClusterWorker.CONTROL).submitToMember(new Gadget(marker), target);
        assertThatThrownBy(() -> future.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasStackTraceContaining(Gadget.class.getName()).hasStackTraceContaining("is not allowed");
        assertThat(marker.resolveSibling("gadget.static")).doesNotExist();
        assertThat(marker.resolveSibling("gadget.readObject")).doesNotExist();
        assertThat(marker.resolveSibling("gadget.call")).doesNotExist();
        assertThat(w.isAlive()).isTrue();
    }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
