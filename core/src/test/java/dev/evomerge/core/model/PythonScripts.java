package dev.evomerge.core.model;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.fail;

/**
 * Runs python3 scripts as an independent reference in tests. When python3 or a required module is missing the test
 * is skipped locally but fails under CI=true, so CI can never pass without the reference check.
 */
public final class PythonScripts {

    private PythonScripts() {
    }

    /** Skips (or, under CI=true, fails) the calling test unless python3 can import every module. */
    public static void require(String... modules) {
        String imports = modules.length == 0 ? "pass" : "import " + String.join(", ", modules);
        boolean ok;
        try {
            ok = exec(List.of("python3", "-c", imports), 60).startsWith("0\n");
        } catch (IOException e) {
            ok = false;
        }
        if (!ok) {
            String what = "python3 with " + String.join(", ", modules);
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(what + " is required under CI=true (pip install " + String.join(" ", modules) + ")");
            }
            Assumptions.abort(what + " is not installed");
        }
    }

    /** Runs a script with arguments and returns its stdout+stderr; fails the test on a non-zero exit. */
    public static String run(String script, String... args) {
        try {
            Path file = Files.createTempFile("evomerge-test", ".py");
            try {
                Files.writeString(file, script, StandardCharsets.UTF_8);
                List<String> cmd = new ArrayList<>(List.of("python3", file.toString()));
                cmd.addAll(List.of(args));
                String result = exec(cmd, 300);
                int nl = result.indexOf('\n');
                String out = result.substring(nl + 1);
                if (!result.startsWith("0\n")) {
                    fail("python3 exited with " + result.substring(0, nl) + ":\n" + out);
                }
                return out;
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run python3: " + e.getMessage(), e);
        }
    }

    /** "exit\noutput". */
    private static String exec(List<String> cmd, int timeoutSeconds) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("python3 timed out");
            }
            return p.exitValue() + "\n" + new String(out, StandardCharsets.UTF_8);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
