package dev.evomerge.cli;

import dev.evomerge.evolve.demo.HiddenRecipe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cluster secret through the real launcher: the coordinator and one worker read it from --cluster-secret-file,
 * a second worker gets a different one from EVOMERGE_CLUSTER_SECRET. That worker is named on both sides and gets no
 * candidate; the secret appears in no log and not in run.db.
 */
class ClusterSecretIT {

    static final String SECRET = "9f2c6a1e5b7d4c3a8e0f1b2c3d4e5f60";
    static final String WRONG = "00000000000000000000000000000000";

    final ClusterIT cluster = new ClusterIT();

    @AfterEach
    void stop() {
        cluster.stop();
    }

    @Test
    void aWorkerWithAnotherSecretIsNamedOnBothSidesAndGetsNoCandidate(@TempDir Path dir) throws Exception {
        HiddenRecipe.Setup setup = HiddenRecipe.prepare(dir.resolve("demo"), 6, 24, 1);
        Path secretFile = dir.resolve("cluster.secret");
        Files.writeString(secretFile, SECRET + "\n");
        String name = "evomerge-secret-it-" + ProcessHandle.current().pid();
        int pc = cluster.freePort(), pg = cluster.freePort(), pb = cluster.freePort();
        String members = "127.0.0.1:" + pc + ",127.0.0.1:" + pg + ",127.0.0.1:" + pb;
        Process good = cluster.start(dir.resolve("good.log"), "worker", "--cluster-name", name, "--members", members,
                "--port", String.valueOf(pg), "-j", "1", "--cluster-secret-file", secretFile.toString());
        Process bad = cluster.start(dir.resolve("bad.log"), Map.of("EVOMERGE_CLUSTER_SECRET", WRONG), "worker", "--cluster-name", name,
                "--members", members, "--port", String.valueOf(pb), "-j", "1");
        // Both workers are members before the coordinator starts, so it challenges both at once.
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (!(log(dir, "good.log").contains("joined cluster") && log(dir, "bad.log").contains("joined cluster"))
                && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        Path storage = dir.resolve("run");
        Process coord = cluster.start(dir.resolve("coord.log"), ClusterIT.evolveArgs(setup.genomeFile(), storage, setup.taskDir(),
                "--cluster-name", name, "--members", members, "--port", String.valueOf(pc), "--min-workers", "1",
                "--cluster-secret-file", secretFile.toString()));
        assertThat(coord.waitFor(4, TimeUnit.MINUTES)).as("coordinator finished").isTrue();
        String coordLog = log(dir, "coord.log");
        assertThat(coord.exitValue()).as(coordLog).isZero();
        assertThat(coordLog).contains("worker [127.0.0.1]:" + pg + " accepted with 1 slot(s)")
                .contains("worker [127.0.0.1]:" + pb + " failed the cluster-secret challenge (its secret differs from this "
                        + "coordinator's): it gets no work")
                .doesNotContain("worker [127.0.0.1]:" + pb + " accepted");
        assertThat(log(dir, "bad.log")).contains("coordinator [127.0.0.1]:" + pc + " failed the cluster-secret challenge");
        assertThat(bad.isAlive()).isTrue();
        Map<String, String> workers = ClusterIT.workers(storage);
        assertThat(workers).hasSize(24);
        assertThat(workers.values()).containsOnly("worker-" + good.pid());
        for (String f : new String[] {"coord.log", "good.log", "bad.log"}) {
            assertThat(log(dir, f)).doesNotContain(SECRET).doesNotContain(WRONG);
        }
        assertThat(new String(Files.readAllBytes(storage.resolve("run.db")), java.nio.charset.StandardCharsets.ISO_8859_1))
                .doesNotContain(SECRET);
    }

    static String log(Path dir, String name) throws Exception {
        Path p = dir.resolve(name);
        return Files.exists(p) ? Files.readString(p) : "";
    }
}
