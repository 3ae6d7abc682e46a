package dev.evomerge.cluster;

import dev.evomerge.evolve.genome.Genome;
import dev.evomerge.evolve.genome.GenomeDefinition;
import dev.evomerge.evolve.genome.TaskSpec;
import dev.evomerge.evolve.optimizer.CmaEs;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/** A coordinator in this JVM and worker members in separate JVMs, all on 127.0.0.1. */
class ClusterProcessTest {

    static final List<TaskSpec> TASKS = List.of(new TaskSpec("a", 1.0, "acc,none"));
    final List<Process> processes = new ArrayList<>();

    @AfterEach
    void killAll() {
        processes.forEach(Process::destroyForcibly);
    }

    final LoopbackPorts ports = new LoopbackPorts();

    int freePort() throws IOException {
        return ports.next();
    }

    Process worker(Path log, String cluster, String members, int port, int slots, String... extra) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Xmx256m", "-Devomerge.test.delay=150",
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "-Djava.util.logging.config.file=/dev/null",
                TestWorkerMain.class.getName(), cluster, members, String.valueOf(port), String.valueOf(slots)));
        cmd.addAll(List.of(extra));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        processes.add(p);
        return p;
    }

    static Genome genome() {
        return new Genome(new GenomeDefinition(List.of("m1", "m2"), "task_arithmetic", "base", null, 2, null, false, false, List.of()), 4);
    }

    static CmaEs optimizer() {
        return CmaEs.start(genome().initialGenes(), 1.0 / 6, 8, 99);
    }

    static RunSpec spec(Path model) {
        return new RunSpec("run-1", Map.of(), List.of(model.toString()));
    }

    static Path model(Path dir, String config) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), config);
        return dir;
    }

    @Test
    void aWorkerKilledMidGenerationLosesNoCandidateAndTheResultEqualsASingleProcessRun(@TempDir Path dir) throws Exception {
        Path model = model(dir.resolve("model"), "{\"num_hidden_layers\": 4}");
        String cluster = "evomerge-test-" + ProcessHandle.current().pid();
        int pc = freePort(), p1 = freePort(), p2 = freePort();
        String members = "127.0.0.1:" + pc + ",127.0.0.1:" + p1 + ",127.0.0.1:" + p2;
        Process w1 = worker(dir.resolve("w1.log"), cluster, members, p1, 2);
        worker(dir.resolve("w2.log"), cluster, members, p2, 2);
        List<String> log = new ArrayList<>();

        Map<String, Integer> reported = new ConcurrentHashMap<>();
        AtomicBoolean killed = new AtomicBoolean();
        Path clustered = dir.resolve("clustered");
        EvolutionRun.Result result;
        try (ClusterEvaluator ce = new ClusterEvaluator(new ClusterOptions(cluster, List.of(members.split(",")), "127.0.0.1", pc, false),
                spec(model), Duration.ofSeconds(60), 2, m -> { synchronized (log) { log.add(m); } });
             RunStore store = RunStore.open(clustered)) {
            assertThat(ce.awaitWorkers(2, Duration.ofSeconds(60))).as("two workers accepted; log: %s", log).isTrue();
            EvolutionListener listener = new EvolutionListener() {
                @Override
                public void candidateDone(Evaluation e) {
                    reported.merge(e.candidate().generation() + "/" + e.candidate().index(), 1, Integer::sum);
                    if (e.candidate().generation() == 1 && killed.compareAndSet(false, true)) {
                        w1.destroyForcibly(); // SIGKILL while its other slot is still evaluating
                    }
                }
            };
            result = new EvolutionRun(store, clustered, genome(), TASKS, optimizer(), ce, listener).run(0, 3, null);
            List<Evaluation> all = store.allCandidates();
            assertThat(all).hasSize(4 * 8);
            assertThat(all).allSatisfy(c -> assertThat(c.ok()).isTrue());
        }
        assertThat(killed).isTrue();
        assertThat(w1.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(reported).hasSize(32).allSatisfy((k, v) -> assertThat(v).as(k).isEqualTo(1));
        assertThat(log).anyMatch(l -> l.contains("left the cluster"));

        // The same seeded run in one process.
        Path single = dir.resolve("single");
        EvolutionRun.Result reference;
        CandidateEvaluator local = TestWorkerMain.evaluator(0, "local");
        try (RunStore store = RunStore.open(single)) {
            reference = new EvolutionRun(store, single, genome(), TASKS, optimizer(), local, new EvolutionListener() { }).run(0, 3, null);
        }
        assertThat(result.best().score()).isEqualTo(reference.best().score());
        assertThat(result.best().candidate().genes()).containsExactly(reference.best().candidate().genes());
    }

    /**
     * The only worker dies mid-generation: the coordinator says once that no worker is left, its in-flight candidates
     * go back to the queue (not left to the evaluation timeout), and a worker that joins later evaluates them.
     */
    @Test
    void whenTheLastWorkerDiesTheCandidatesWaitForTheNextOne(@TempDir Path dir) throws Exception {
        Path model = model(dir.resolve("model"), "{\"num_hidden_layers\": 4}");
        String cluster = "evomerge-last-" + ProcessHandle.current().pid();
        int pc = freePort(), p1 = freePort(), p2 = freePort();
        String members = "127.0.0.1:" + pc + ",127.0.0.1:" + p1 + ",127.0.0.1:" + p2;
        Process w1 = worker(dir.resolve("w1.log"), cluster, members, p1, 2);
        List<String> log = new ArrayList<>();
        java.util.concurrent.CountDownLatch starved = new java.util.concurrent.CountDownLatch(1);
        Map<Integer, List<Evaluation>> reported = new ConcurrentHashMap<>();
        List<dev.evomerge.evolve.run.Candidate> candidates = ClusterTimeoutTest.candidates(8);
        Thread replacement;
        // An evaluation timeout far beyond the test's length: only the member's loss may re-dispatch a candidate.
        try (ClusterEvaluator ce = new ClusterEvaluator(new ClusterOptions(cluster, List.of(members.split(",")), "127.0.0.1", pc, false),
                spec(model), Duration.ofHours(1), 2, m -> {
                    synchronized (log) {
                        log.add(m);
                    }
                    if (m.startsWith("no worker left")) {
                        starved.countDown();
                    }
                })) {
            assertThat(ce.awaitWorkers(1, Duration.ofSeconds(60))).as("worker accepted; log: %s", log).isTrue();
            replacement = Thread.ofPlatform().start(() -> {
                try {
                    if (starved.await(3, TimeUnit.MINUTES)) {
                        worker(dir.resolve("w2.log"), cluster, members, p2, 1);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            ce.evaluate(candidates, e -> {
                if (reported.isEmpty()) {
                    w1.destroyForcibly(); // SIGKILL while its other slot is still evaluating
                }
                reported.computeIfAbsent(e.candidate().index(), k -> new ArrayList<>()).add(e);
            });
        }
        replacement.join();
        assertThat(reported).hasSize(8);
        for (var c : candidates) {
            assertThat(reported.get(c.index())).as("candidate %d reported once", c.index()).hasSize(1);
            assertThat(reported.get(c.index()).getFirst().metrics()).isEqualTo(TestWorkerMain.metrics(c.genes()));
        }
        synchronized (log) {
            assertThat(log.stream().filter(l -> l.startsWith("no worker left"))).as("log: %s", log).hasSize(1);
            assertThat(log).anyMatch(l -> l.contains("left the cluster")).anyMatch(l -> l.contains("re-dispatching candidate"));
            assertThat(log.stream().filter(l -> l.contains("accepted with"))).hasSize(2);
        }
    }

    @Test
    void aWorkerThatSeesOtherModelsIsRefusedWithASentence(@TempDir Path dir) throws Exception {
        Path model = model(dir.resolve("model"), "{\"num_hidden_layers\": 4}");
        model(dir.resolve("other"), "{\"num_hidden_layers\": 8}");
        String cluster = "evomerge-refuse-" + ProcessHandle.current().pid();
        int pc = freePort(), p1 = freePort();
        String members = "127.0.0.1:" + pc + ",127.0.0.1:" + p1;
        Path wlog = dir.resolve("w.log");
        Process w = worker(wlog, cluster, members, p1, 1, dir.resolve("model") + "=" + dir.resolve("other"));
        List<String> log = new ArrayList<>();
        try (ClusterEvaluator ce = new ClusterEvaluator(new ClusterOptions(cluster, List.of(members.split(",")), "127.0.0.1", pc, false),
                spec(model), Duration.ofSeconds(30), 2, m -> { synchronized (log) { log.add(m); } })) {
            assertThat(w.waitFor(60, TimeUnit.SECONDS)).as("refused worker exits").isTrue();
            assertThat(w.exitValue()).isEqualTo(3);
            assertThat(ce.workers()).isZero();
        }
        assertThat(log).anyMatch(l -> l.startsWith("refused worker") && l.contains(model + " differs"));
        assertThat(Files.readString(wlog)).contains("refused by the coordinator: worker").contains("does not see the same inputs");
    }

    @Test
    void wildcardBindNeedsExplicitConsent() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new ClusterOptions("c", List.of(), "0.0.0.0", 5701, false))
                .hasMessageContaining("--allow-public-bind");
        assertThat(new ClusterOptions("c", List.of(), "0.0.0.0", 5701, true, ClusterSecret.of("0123456789abcdef0123", "test")).bind()).isEqualTo("0.0.0.0");
        assertThat(new ClusterOptions("c", List.of(), null, 5701, false).bind()).isEqualTo("127.0.0.1");
    }
}
