package dev.evomerge.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Drives the real ./evomerge launcher (after 'package', so the jar is fresh and no build happens). */
class LauncherIT {

    record Run(int exit, String out, String err) {
    }

    static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isRegularFile(p.resolve("evomerge"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("repository root with ./evomerge not found above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    static Run launch(Path workDir, Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("/bin/bash", repoRoot().resolve("evomerge").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
        pb.environment().put("EVOMERGE_BUILD_DIR", System.getProperty("evomerge.build.dir", "target"));
        pb.environment().putAll(env);
        Path out = Files.createTempFile("launcher", ".out");
        Path err = Files.createTempFile("launcher", ".err");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("launcher finished").isTrue();
        Run r = new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        Files.delete(out);
        Files.delete(err);
        return r;
    }

    @Test
    void runsFromAnyWorkingDirectory(@TempDir Path elsewhere) throws Exception {
        Run r = launch(elsewhere, Map.of(), "--version");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).startsWith("evomerge 0.").contains("Java 25");
        assertThat(r.err()).doesNotContain("building");
    }

    @Test
    void reportsAMissingJdkInOneSentence(@TempDir Path empty) throws Exception {
        // A PATH with the shell tools the launcher needs but no java at all.
        Path bin = Files.createDirectory(empty.resolve("bin"));
        for (String tool : List.of("dirname", "readlink", "sed", "head", "find", "mktemp", "cat", "rm", "grep")) {
            Path real = Files.exists(Path.of("/usr/bin", tool)) ? Path.of("/usr/bin", tool) : Path.of("/bin", tool);
            Path wrapper = bin.resolve(tool);
            Files.writeString(wrapper, "#!/bin/sh\nexec " + real + " \"$@\"\n");
            wrapper.toFile().setExecutable(true);
        }
        Run r = launch(empty, Map.of("JAVA_HOME", empty.resolve("nojdk").toString(),
                "PATH", bin.toString(), "EVOMERGE_JVM_DIRS", empty.toString()), "--version");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip()).startsWith("evomerge: no JDK 25 or newer found").doesNotContain("\n");
    }

    @Test
    void passesTheExitCodeOfAUsageError(@TempDir Path elsewhere) throws Exception {
        Run r = launch(elsewhere, Map.of(), "--bogus");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--bogus");
    }

    @Test
    void verifyRunsMavenOnTheJdkTheLauncherFinds(@TempDir Path elsewhere) throws Exception {
        // README's test command with no JAVA_HOME and only the system's directories on PATH (where a JDK 17 may be
        // the first java): ./verify must still hand Maven a JDK 25. `-v` makes Maven print its runtime and stop.
        ProcessBuilder pb = new ProcessBuilder("/bin/bash", repoRoot().resolve("verify").toString(), "-v")
                .directory(elsewhere.toFile()).redirectErrorStream(true);
        pb.environment().remove("JAVA_HOME");
        pb.environment().put("PATH", "/usr/local/bin:/usr/bin:/bin");
        Path out = Files.createTempFile("verify", ".out");
        pb.redirectOutput(out.toFile());
        Process p = pb.start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("verify finished").isTrue();
        String text = Files.readString(out, StandardCharsets.UTF_8);
        Files.delete(out);
        assertThat(p.exitValue()).as(text).isZero();
        assertThat(text).containsPattern("Java version: 2[5-9]");
    }
}
