package dev.evomerge.cli;

import dev.evomerge.evolve.demo.HiddenRecipe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * `evolve --cluster-name` with two `evomerge worker` processes on 127.0.0.1; one worker is killed with SIGKILL
 * mid-generation. The run completes with every candidate once, equal to a single-process run with the same seed.
 */
class ClusterIT {

    final List<Process> processes = new ArrayList<>();

    @AfterEach
    void stop() {
        processes.forEach(p -> {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        });
    }

    final java.util.Set<Integer> ports = new java.util.HashSet<>();
    final java.util.SplittableRandom random = new java.util.SplittableRandom(ProcessHandle.current().pid() * 31 + System.nanoTime());

    /**
     * A free 127.0.0.1 port, each handed out once, below Linux's ephemeral range (32768 and up): a port from there can be
     * taken as the local port of an outgoing connection (a worker already trying to reach the coordinator) before the
     * member binds it.
     */
    int freePort() throws Exception {
        for (int attempt = 0; attempt < 500; attempt++) {
            int port = 20_000 + random.nextInt(12_000);
            if (ports.contains(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(false); // as Hazelcast binds: a port in TIME_WAIT counts as taken
                s.bind(new java.net.InetSocketAddress("127.0.0.1", port));
            } catch (java.io.IOException taken) {
                continue;
            }
            ports.add(port);
            return port;
        }
        throw new IllegalStateException("no free port between 20000 and 31999 on 127.0.0.1");
    }

    Process start(Path log, String... args) throws Exception {
        return start(log, Map.of(), args);
    }

    /** Runs ./evomerge with {@code env} added to the environment (no EVOMERGE_DATA or cluster secret unless given there). */
    Process start(Path log, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("/bin/bash", LauncherIT.repoRoot().resolve("evomerge").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().remove("EVOMERGE_DATA");
        pb.environment().put("EVOMERGE_BUILD_DIR", System.getProperty("evomerge.build.dir", "target"));
        pb.environment().put("EVOMERGE_JAVA_OPTS", "-Xmx768m");
        pb.environment().remove("EVOMERGE_CLUSTER_SECRET");
        pb.environment().putAll(env);
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    /**
     * Waits for a process; when it does not end in time, every JVM this test started prints its threads into its log
     * (SIGQUIT), so that a failure shows where the coordinator and the workers stand.
     */
    boolean finished(Process p, int minutes) throws Exception {
        if (p.waitFor(minutes, TimeUnit.MINUTES)) {
            return true;
        }
        for (Process started : processes) {
            java.util.stream.Stream.concat(java.util.stream.Stream.of(started.toHandle()), started.descendants())
                    .filter(h -> h.isAlive() && h.info().command().orElse("").endsWith("java"))
                    .forEach(h -> {
                        try {
                            new ProcessBuilder("kill", "-QUIT", String.valueOf(h.pid())).start().waitFor();
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    });
        }
        Thread.sleep(2000); // the JVMs write their thread dumps asynchronously; this only delays a failure message
        return false;
    }

    /** The named logs of a run, for a failure message: what each member said is what tells a hang from a slow machine. */
    static String logs(Path dir, String... names) throws java.io.IOException {
        StringBuilder b = new StringBuilder();
        for (String name : names) {
            Path f = dir.resolve(name);
            b.append("\n--- ").append(name).append(" ---\n").append(Files.exists(f) ? Files.readString(f) : "(none)");
        }
        return b.toString();
    }

    static String[] evolveArgs(Path genome, Path storage, Path tasks, String... extra) {
        List<String> a = new ArrayList<>(List.of("evolve", genome.toString(), "--storage-path", storage.toString(),
                "--optimizer", "cmaes", "--max-generation", "3", "--force-population-size", "6", "--random-seed", "8",
                "--quiet", "--no-save-final-model", "-j", "1", "--include-path", tasks.toString()));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    @Test
    void aKilledWorkerLosesNothingAndTheResultEqualsASingleProcessRun(@TempDir Path dir) throws Exception {
        HiddenRecipe.Setup setup = HiddenRecipe.prepare(dir.resolve("demo"), 6, 24, 1);
        String cluster = "evomerge-it-" + ProcessHandle.current().pid();
        int pc = freePort(), p1 = freePort(), p2 = freePort();
        String members = "127.0.0.1:" + pc + ",127.0.0.1:" + p1 + ",127.0.0.1:" + p2;
        Process w1 = start(dir.resolve("w1.log"), "worker", "--cluster-name", cluster, "--members", members, "--port", String.valueOf(p1), "-j", "1");
        start(dir.resolve("w2.log"), "worker", "--cluster-name", cluster, "--members", members, "--port", String.valueOf(p2), "-j", "1");
        Path clustered = dir.resolve("clustered");
        Process coord = start(dir.resolve("coord.log"), evolveArgs(setup.genomeFile(), clustered, setup.taskDir(),
                "--cluster-name", cluster, "--members", members, "--port", String.valueOf(pc), "--min-workers", "2"));

        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (EvolveResumeIT.rows(clustered).size() < 7 && coord.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(coord.isAlive()).as("coordinator log: %s", Files.readString(dir.resolve("coord.log"))).isTrue();
        w1.descendants().forEach(ProcessHandle::destroyForcibly);
        w1.destroyForcibly(); // SIGKILL mid-generation 1
        assertThat(finished(coord, 4)).as("coordinator finished; %s", logs(dir, "coord.log", "w1.log", "w2.log")).isTrue();
        String log = Files.readString(dir.resolve("coord.log"));
        assertThat(coord.exitValue()).as(log).isZero();
        assertThat(log).contains("accepted with 1 slot(s)").contains("left the cluster");
        // members print only evomerge's lines: no Hazelcast banner, INFO or WARNING lines (even when a worker dies)
        for (String name : List.of("coord.log", "w1.log", "w2.log")) {
            String text = Files.readString(dir.resolve(name));
            assertThat(text).as(name).contains("evomerge: ").doesNotContain("com.hazelcast").doesNotContain("INFO:")
                    .doesNotContain("WARNING:").doesNotContain("o---o").doesNotContain("Hazelcast Platform");
        }

        Path single = dir.resolve("single");
        Process ref = start(dir.resolve("single.log"), evolveArgs(setup.genomeFile(), single, setup.taskDir()));
        assertThat(ref.waitFor(4, TimeUnit.MINUTES)).isTrue();
        assertThat(ref.exitValue()).as(Files.readString(dir.resolve("single.log"))).isZero();

        Map<String, List<String>> a = EvolveResumeIT.rows(clustered);
        Map<String, List<String>> b = EvolveResumeIT.rows(single);
        assertThat(a.keySet()).hasSize(24).isEqualTo(b.keySet());
        for (String k : a.keySet()) {
            assertThat(a.get(k).subList(0, 2)).as(k).isEqualTo(b.get(k).subList(0, 2));
        }
        assertThat(Files.readString(clustered.resolve("summary.json"))).contains("\"best_score\"");
        assertThat(Files.readString(clustered.resolve("best_config.yaml"))).isEqualTo(Files.readString(single.resolve("best_config.yaml")));
    }

    @Test
    void aKilledCoordinatorResumesWithTheStillRunningWorkersAndTheResultEqualsASingleProcessRun(@TempDir Path dir) throws Exception {
        HiddenRecipe.Setup setup = HiddenRecipe.prepare(dir.resolve("demo"), 6, 24, 1);
        String cluster = "evomerge-it-resume-" + ProcessHandle.current().pid();
        int pc = freePort(), p1 = freePort(), p2 = freePort();
        String members = "127.0.0.1:" + pc + ",127.0.0.1:" + p1 + ",127.0.0.1:" + p2;
        Process w1 = start(dir.resolve("w1.log"), "worker", "--cluster-name", cluster, "--members", members, "--port", String.valueOf(p1), "-j", "1");
        Process w2 = start(dir.resolve("w2.log"), "worker", "--cluster-name", cluster, "--members", members, "--port", String.valueOf(p2), "-j", "1");
        Path clustered = dir.resolve("clustered");
        String[] args = evolveArgs(setup.genomeFile(), clustered, setup.taskDir(),
                "--cluster-name", cluster, "--members", members, "--port", String.valueOf(pc), "--min-workers", "2");
        Process first = start(dir.resolve("first.log"), args);

        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (EvolveResumeIT.rows(clustered).size() < 8 && first.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(first.isAlive()).as("coordinator log: %s", Files.readString(dir.resolve("first.log"))).isTrue();
        assertThat(EvolveResumeIT.rows(clustered).size()).as("generation 1 under way; coordinator log: %s",
                Files.readString(dir.resolve("first.log"))).isGreaterThanOrEqualTo(8);
        first.descendants().forEach(ProcessHandle::destroyForcibly);
        first.destroyForcibly(); // SIGKILL while the workers evaluate generation 1
        assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
        Map<String, List<String>> beforeResume = EvolveResumeIT.rows(clustered);
        assertThat(beforeResume.size()).as("killed mid-run").isBetween(8, 23);

        // The same command plus --resume, on the same port; the workers were not restarted.
        List<String> resumeArgs = new ArrayList<>(List.of(args));
        resumeArgs.add("--resume");
        Process resumed = start(dir.resolve("resume.log"), resumeArgs.toArray(String[]::new));
        assertThat(finished(resumed, 2)).as("resumed coordinator finished; %s",
                logs(dir, "first.log", "resume.log", "w1.log", "w2.log")).isTrue();
        String log = Files.readString(dir.resolve("resume.log"));
        assertThat(resumed.exitValue()).as(log).isZero();
        Map<String, Long> perGeneration = beforeResume.keySet().stream()
                .collect(java.util.stream.Collectors.groupingBy(k -> k.substring(0, 2), java.util.stream.Collectors.counting()));
        int firstIncomplete = 0;
        while (perGeneration.getOrDefault(String.format("%02d", firstIncomplete), 0L) == 6) {
            firstIncomplete++;
        }
        assertThat(log).contains("resuming at generation " + firstIncomplete);
        assertThat(log.split("accepted with 1 slot\\(s\\)", -1)).as("both workers accepted again: %s", log).hasSize(3);
        assertThat(w1.isAlive()).isTrue();
        assertThat(w2.isAlive()).isTrue();
        assertThat(Files.readString(dir.resolve("w1.log")).split("joined cluster", -1)).as("worker 1 never restarted").hasSize(2);

        Path single = dir.resolve("single");
        Process ref = start(dir.resolve("single.log"), evolveArgs(setup.genomeFile(), single, setup.taskDir()));
        assertThat(ref.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(ref.exitValue()).as(Files.readString(dir.resolve("single.log"))).isZero();

        Map<String, List<String>> a = EvolveResumeIT.rows(clustered);
        Map<String, List<String>> b = EvolveResumeIT.rows(single);
        assertThat(a.keySet()).hasSize(24).isEqualTo(b.keySet()); // the primary key makes each candidate appear once
        for (String k : a.keySet()) {
            assertThat(a.get(k).subList(0, 2)).as(k).isEqualTo(b.get(k).subList(0, 2)); // same genes, same score
        }
        // Candidates recorded before the kill were not evaluated again; the rest were evaluated by the same two workers.
        beforeResume.forEach((k, v) -> assertThat(a.get(k)).as(k).isEqualTo(v));
        Map<String, String> workers = workers(clustered);
        assertThat(workers.keySet()).hasSize(24);
        assertThat(workers.values()).containsOnly("worker-" + w1.pid(), "worker-" + w2.pid());
        assertThat(Files.readString(clustered.resolve("best_config.yaml"))).isEqualTo(Files.readString(single.resolve("best_config.yaml")));
    }

    /**
     * The coordinator's folder of models, task files and hub data (A, the data root given by EVOMERGE_DATA) is gone by
     * the time the worker starts; the worker sees the same files only under B and is told so with --path-map A=B. It
     * merges and scores every candidate from B, and the run equals a single-process run on B.
     */
    @Test
    void aWorkerMergesFromItsPathMappedCopyWhenTheCoordinatorsFolderIsAbsent(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("A");
        Path b = dir.resolve("B");
        HiddenRecipe.Setup setup = HiddenRecipe.prepare(a, 7, 16, 1);
        // The task reads a hub dataset from the data root instead of files next to it.
        Path taskFile = a.resolve("task").resolve(setup.taskName() + ".yaml");
        String task = Files.readString(taskFile);
        String local = """
                dataset_path: json
                dataset_kwargs:
                  data_files:
                    train: data/train.jsonl
                    test: data/test.jsonl
                """;
        assertThat(task).contains(local);
        Files.writeString(taskFile, task.replace(local, "dataset_path: evomerge-test/hidden-recipe\n"));
        Path hub = Files.createDirectories(a.resolve("hub/evomerge-test/hidden-recipe/default"));
        for (String split : List.of("train", "test")) {
            Files.move(a.resolve("task/data/" + split + ".jsonl"), hub.resolve(split + ".jsonl"));
        }
        copyTree(a, b);
        Path genome = dir.resolve("genome-A.yml"); // names A's models by absolute paths
        Files.copy(setup.genomeFile(), genome);
        String cluster = "evomerge-it-pathmap-" + ProcessHandle.current().pid();
        int pc = freePort(), p1 = freePort();
        String members = "127.0.0.1:" + pc + ",127.0.0.1:" + p1;
        Path clustered = dir.resolve("clustered");
        Process coord = start(dir.resolve("coord.log"), Map.of("EVOMERGE_DATA", a.resolve("hub").toString()),
                smallRun(genome, clustered, a.resolve("task"),
                "--cluster-name", cluster, "--members", members, "--port", String.valueOf(pc), "--min-workers", "1"));
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (!Files.readString(dir.resolve("coord.log")).contains("waiting for 1 worker") && coord.isAlive()
                && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(Files.readString(dir.resolve("coord.log"))).as("coordinator prepared").contains("waiting for 1 worker");
        // The coordinator has read and fingerprinted its inputs; from now on only B exists.
        Files.move(a, dir.resolve("A-gone"));
        Process w = start(dir.resolve("w.log"), "worker", "--cluster-name", cluster, "--members", members, "--port",
                String.valueOf(p1), "-j", "1", "--path-map", a + "=" + b);
        assertThat(finished(coord, 4)).as("coordinator finished; %s", logs(dir, "coord.log", "w.log")).isTrue();
        String log = Files.readString(dir.resolve("coord.log"));
        assertThat(coord.exitValue()).as(log).isZero();
        assertThat(log).contains("accepted with 1 slot(s)");
        assertThat(w.isAlive()).isTrue();
        Map<String, String> errors = errors(clustered);
        assertThat(errors).hasSize(8).allSatisfy((k, e) -> assertThat(e).as(k).isEqualTo("OK"));

        Path genomeB = dir.resolve("genome-B.yml");
        Files.writeString(genomeB, Files.readString(genome).replace(a.toString(), b.toString()));
        Path single = dir.resolve("single");
        Process ref = start(dir.resolve("single.log"), smallRun(genomeB, single, b.resolve("task"), "--data-dir",
                b.resolve("hub").toString()));
        assertThat(ref.waitFor(4, TimeUnit.MINUTES)).isTrue();
        assertThat(ref.exitValue()).as(Files.readString(dir.resolve("single.log"))).isZero();
        Map<String, List<String>> x = EvolveResumeIT.rows(clustered);
        Map<String, List<String>> y = EvolveResumeIT.rows(single);
        assertThat(x.keySet()).hasSize(8).isEqualTo(y.keySet());
        for (String k : x.keySet()) {
            assertThat(x.get(k).subList(0, 2)).as(k).isEqualTo(y.get(k).subList(0, 2)); // same genes, same score
        }
    }

    static String[] smallRun(Path genome, Path storage, Path tasks, String... extra) {
        List<String> a = new ArrayList<>(List.of("evolve", genome.toString(), "--storage-path", storage.toString(),
                "--optimizer", "cmaes", "--max-generation", "1", "--force-population-size", "4", "--random-seed", "3",
                "--quiet", "--no-save-final-model", "-j", "1", "--include-path", tasks.toString()));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    static void copyTree(Path from, Path to) throws java.io.IOException {
        try (var s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Files.copy(p, to.resolve(from.relativize(p).toString()));
            }
        }
    }

    /** (generation/index) -> "OK", or the status and error of a failed candidate, from run.db. */
    static Map<String, String> errors(Path storage) throws Exception {
        Map<String, String> out = new java.util.TreeMap<>();
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:file:" + storage.resolve("run.db") + "?mode=ro");
             java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT generation, idx, status, error FROM candidates")) {
            while (rs.next()) {
                out.put(String.format("%02d/%02d", rs.getInt(1), rs.getInt(2)),
                        rs.getString(4) == null ? rs.getString(3) : rs.getString(3) + ": " + rs.getString(4));
            }
        }
        return out;
    }

    /** (generation/index) -> the worker column of run.db. */
    static Map<String, String> workers(Path storage) throws Exception {
        Map<String, String> out = new java.util.TreeMap<>();
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:file:" + storage.resolve("run.db") + "?mode=ro");
             java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT generation, idx, worker FROM candidates")) {
            while (rs.next()) {
                out.put(String.format("%02d/%02d", rs.getInt(1), rs.getInt(2)), rs.getString(3));
            }
        }
        return out;
    }
}
