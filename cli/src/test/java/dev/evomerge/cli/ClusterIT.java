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

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    Process start(Path log, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("/bin/bash", LauncherIT.repoRoot().resolve("evomerge").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("EVOMERGE_BUILD_DIR", System.getProperty("evomerge.build.dir", "target"));
        pb.environment().put("EVOMERGE_JAVA_OPTS", "-Xmx768m");
        Process p = pb.start();
        processes.add(p);
        return p;
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
        assertThat(coord.waitFor(4, TimeUnit.MINUTES)).as("coordinator finished").isTrue();
        String log = Files.readString(dir.resolve("coord.log"));
        assertThat(coord.exitValue()).as(log).isZero();
        assertThat(log).contains("accepted with 1 slot(s)").contains("left the cluster");

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
}
