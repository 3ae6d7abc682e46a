package dev.evomerge.cli;

import dev.evomerge.evolve.demo.HiddenRecipe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** `evomerge evolve` killed with SIGKILL mid-generation and resumed equals an uninterrupted run. */
class EvolveResumeIT {

    static List<String> command(Path genome, Path storage, String... extra) {
        List<String> cmd = new ArrayList<>(List.of("/bin/bash", LauncherIT.repoRoot().resolve("evomerge").toString(), "evolve",
                genome.toString(), "--storage-path", storage.toString(), "--optimizer", "cmaes", "--max-generation", "4",
                "--force-population-size", "6", "--random-seed", "4", "--quiet", "--no-save-final-model", "-j", "1"));
        cmd.addAll(List.of(extra));
        return cmd;
    }

    static Process start(List<String> cmd, Path log) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("EVOMERGE_BUILD_DIR", System.getProperty("evomerge.build.dir", "target"));
        return pb.start();
    }

    /** (generation/index) -> [genes, score, created_at] as text, read straight from run.db. */
    static Map<String, List<String>> rows(Path storage) throws Exception {
        Map<String, List<String>> out = new TreeMap<>();
        Path db = storage.resolve("run.db");
        if (!Files.exists(db)) {
            return out;
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:file:" + db + "?mode=ro", new java.util.Properties());
             ResultSet rs = c.createStatement().executeQuery("SELECT generation, idx, genes, score, created_at FROM candidates")) {
            while (rs.next()) {
                out.put(String.format("%02d/%02d", rs.getInt(1), rs.getInt(2)), List.of(rs.getString(3), String.valueOf(rs.getObject(4)), rs.getString(5)));
            }
        } catch (java.sql.SQLException e) {
            if (!String.valueOf(e.getMessage()).contains("no such table")) {
                throw e;
            }
            // the run is still creating its tables
        }
        return out;
    }

    @Test
    void aRunKilledWithSigkillResumesWithoutReevaluatingAndMatchesAnUninterruptedRun(@TempDir Path dir) throws Exception {
        HiddenRecipe.Setup setup = HiddenRecipe.prepare(dir.resolve("demo"), 2, 24, 1);
        Path taskDir = setup.taskDir();
        Path killed = dir.resolve("killed");
        Process p = start(command(setup.genomeFile(), killed, "--include-path", taskDir.toString()), dir.resolve("first.log"));
        // Wait until generation 0 is complete and generation 1 is under way, then kill -9.
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (rows(killed).size() < 8 && p.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(p.isAlive()).as("still running when killed; log: %s", Files.readString(dir.resolve("first.log"))).isTrue();
        p.destroyForcibly();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        Map<String, List<String>> beforeResume = rows(killed);
        assertThat(beforeResume.size()).isBetween(8, 29);

        Process resumed = start(command(setup.genomeFile(), killed, "--include-path", taskDir.toString(), "--resume"), dir.resolve("resume.log"));
        assertThat(resumed.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(resumed.exitValue()).as(Files.readString(dir.resolve("resume.log"))).isZero();
        assertThat(Files.readString(dir.resolve("resume.log"))).contains("resuming at generation");

        Path whole = dir.resolve("whole");
        Process ref = start(command(setup.genomeFile(), whole, "--include-path", taskDir.toString()), dir.resolve("whole.log"));
        assertThat(ref.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(ref.exitValue()).as(Files.readString(dir.resolve("whole.log"))).isZero();

        Map<String, List<String>> a = rows(killed);
        Map<String, List<String>> b = rows(whole);
        assertThat(a.keySet()).hasSize(30).isEqualTo(b.keySet());
        for (String k : a.keySet()) {
            assertThat(a.get(k).subList(0, 2)).as(k).isEqualTo(b.get(k).subList(0, 2)); // same genes, same score
        }
        // Candidates recorded before the kill were not evaluated again (their rows are untouched).
        beforeResume.forEach((k, v) -> assertThat(a.get(k)).as(k).isEqualTo(v));
        assertThat(Files.readString(killed.resolve("best_config.yaml"))).isEqualTo(Files.readString(whole.resolve("best_config.yaml")));
    }
}
