package dev.evomerge.cluster;

import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.Evaluation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code --eval-timeout} with real worker JVMs: an evaluation past the timeout is retried once on the other worker,
 * then reported once as failed; a worker still busy with an abandoned evaluation gets no other candidate meanwhile.
 */
class ClusterTimeoutTest {

    private static final Pattern TIMED_OUT = Pattern.compile("candidate (\\d+) of generation 0 timed out on (\\S+); (.*)");

    final List<Process> processes = new ArrayList<>();
    final LoopbackPorts ports = new LoopbackPorts();

    @AfterEach
    void killAll() {
        processes.forEach(Process::destroyForcibly);
    }

    /** A TestWorkerMain JVM with one slot whose evaluations each take {@code delayMillis}. */
    static String logOf(Path log) {
        try {
            return java.nio.file.Files.readString(log);
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }

    Process worker(Path log, String cluster, String members, int port, long delayMillis) throws IOException {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Xmx256m", "-Devomerge.test.delay=" + delayMillis,
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "-Djava.util.logging.config.file=/dev/null",
                // The first worker becomes the master; it admits the others after 1 s instead of Hazelcast's 5-10 s.
                "-Dhazelcast.wait.seconds.before.join=1",
                TestWorkerMain.class.getName(), cluster, members, String.valueOf(port), "1");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        processes.add(p);
        return p;
    }

    static List<Candidate> candidates(int n) {
        List<Candidate> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double g = (i + 1) / (n + 1.0);
            out.add(new Candidate(0, i, new double[] {g, g, g, g}, WorkerRuntimeTest.linear()));
        }
        return out;
    }

    /** candidate index -> the "timed out" log lines about it, as [worker address, what happened next]. */
    static Map<Integer, List<List<String>>> timeouts(List<String> log) {
        Map<Integer, List<List<String>>> out = new ConcurrentHashMap<>();
        synchronized (log) {
            for (String line : log) {
                Matcher m = TIMED_OUT.matcher(line);
                if (m.matches()) {
                    out.computeIfAbsent(Integer.parseInt(m.group(1)), k -> new ArrayList<>()).add(List.of(m.group(2), m.group(3)));
                }
            }
        }
        return out;
    }

    @Test
    void aCandidateThatTimesOutOnBothWorkersIsReportedOnceAsFailed(@TempDir Path dir) throws Exception {
        Path model = ClusterProcessTest.model(dir.resolve("model"), "{\"num_hidden_layers\": 4}");
        String cluster = "evomerge-timeout-" + ProcessHandle.current().pid();
        int pc = ports.next(), p1 = ports.next(), p2 = ports.next();
        String members = "127.0.0.1:" + pc + ",127.0.0.1:" + p1 + ",127.0.0.1:" + p2;
        // Every evaluation takes 3 s against a 1 s timeout: each attempt times out, whatever the machine's load.
        worker(dir.resolve("w1.log"), cluster, members, p1, 3000);
        worker(dir.resolve("w2.log"), cluster, members, p2, 3000);
        List<String> log = new ArrayList<>();
        Map<Integer, List<Evaluation>> reported = new ConcurrentHashMap<>();
        try (ClusterEvaluator ce = new ClusterEvaluator(new ClusterOptions(cluster, List.of(members.split(",")), "127.0.0.1", pc, false),
                ClusterProcessTest.spec(model), Duration.ofSeconds(1), 2, m -> { synchronized (log) { log.add(m); } })) {
            assertThat(ce.awaitWorkers(2, Duration.ofSeconds(60))).as("two workers accepted; log: %s", log).isTrue();
            ce.evaluate(candidates(2), e -> reported.computeIfAbsent(e.candidate().index(), k -> new ArrayList<>()).add(e));
        }
        assertThat(reported).containsOnlyKeys(0, 1);
        Map<Integer, List<List<String>>> timeouts = timeouts(log);
        for (int i = 0; i < 2; i++) {
            assertThat(reported.get(i)).as("candidate %d reported once", i).hasSize(1);
            Evaluation e = reported.get(i).getFirst();
            assertThat(e.ok()).isFalse();
            assertThat(e.score()).isEqualTo(Double.NEGATIVE_INFINITY);
            assertThat(e.metrics()).isEmpty();
            assertThat(e.error()).isEqualTo("evaluation timed out after 1 s on 2 attempt(s)");
            // First attempt on one worker, the retry on the other, and the failure names the second.
            List<List<String>> lines = timeouts.get(i);
            assertThat(lines).as("log: %s", log).hasSize(2);
            assertThat(lines.get(0).get(1)).isEqualTo("retrying elsewhere");
            assertThat(lines.get(1).get(1)).isEqualTo("recorded as failed");
            assertThat(lines.get(1).get(0)).isNotEqualTo(lines.get(0).get(0)).isEqualTo(e.worker());
            assertThat(List.of(lines.get(0).get(0), lines.get(1).get(0)))
                    .containsExactlyInAnyOrder("[127.0.0.1]:" + p1, "[127.0.0.1]:" + p2);
        }
        assertThat(timeouts).containsOnlyKeys(0, 1);
    }

    @Test
    void aCandidateThatTimesOutOnASlowWorkerSucceedsOnTheFastOneAndTheSlowSlotStaysBusy(@TempDir Path dir) throws Exception {
        Path model = ClusterProcessTest.model(dir.resolve("model"), "{\"num_hidden_layers\": 4}");
        String cluster = "evomerge-slow-" + ProcessHandle.current().pid();
        int pc = ports.next(), p1 = ports.next(), p2 = ports.next();
        String members = "127.0.0.1:" + pc + ",127.0.0.1:" + p1 + ",127.0.0.1:" + p2;
        // The slow worker's evaluation outlasts the whole run. The fast one needs 100 ms per candidate against a 2 s
        // timeout, so candidates are still queued when the slow one times out: none of them may go to the slow worker.
        Process slow = worker(dir.resolve("slow.log"), cluster, members, p1, 30_000);
        Process fast = worker(dir.resolve("fast.log"), cluster, members, p2, 100);
        List<String> log = new ArrayList<>();
        Map<Integer, List<Evaluation>> reported = new ConcurrentHashMap<>();
        List<Candidate> candidates = candidates(40);
        try (ClusterEvaluator ce = new ClusterEvaluator(new ClusterOptions(cluster, List.of(members.split(",")), "127.0.0.1", pc, false),
                ClusterProcessTest.spec(model), Duration.ofSeconds(2), 2, m -> { synchronized (log) { log.add(m); } })) {
            assertThat(ce.awaitWorkers(2, Duration.ofSeconds(60))).as(() -> "two workers accepted; log: " + log
                    + "; slow worker: " + logOf(dir.resolve("slow.log")) + "; fast worker: " + logOf(dir.resolve("fast.log")))
                    .isTrue();
            ce.evaluate(candidates, e -> reported.computeIfAbsent(e.candidate().index(), k -> new ArrayList<>()).add(e));
        }
        assertThat(reported).hasSize(40);
        String fastName = "worker-" + fast.pid();
        for (Candidate c : candidates) {
            List<Evaluation> es = reported.get(c.index());
            assertThat(es).as("candidate %d reported once", c.index()).hasSize(1);
            Evaluation e = es.getFirst();
            assertThat(e.error()).isNull();
            assertThat(e.metrics()).isEqualTo(TestWorkerMain.metrics(c.genes()));
            assertThat(e.worker()).isEqualTo(fastName);
        }
        // Exactly one candidate went to the slow worker; it timed out there once and was retried on the fast one.
        // The slow worker got nothing else while its abandoned evaluation still ran (its slot stayed busy).
        Map<Integer, List<List<String>>> timeouts = timeouts(log);
        assertThat(timeouts).as("log: %s", log).hasSize(1);
        List<List<String>> lines = timeouts.values().iterator().next();
        assertThat(lines).containsExactly(List.of("[127.0.0.1]:" + p1, "retrying elsewhere"));
        assertThat(slow.isAlive()).isTrue();
    }
}
