package dev.evomerge.cli;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class ServeCommandTest {

    /** Collects output and opens a latch once the server's address line is complete. */
    static final class AddressWatcher extends Writer {
        private final StringBuilder text = new StringBuilder();
        private final CountDownLatch ready = new CountDownLatch(1);

        @Override
        public synchronized void write(char[] cbuf, int off, int len) {
            text.append(cbuf, off, len);
            if (text.toString().matches("(?s).*listening on http://\\S+\\R.*")) {
                ready.countDown();
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }

        synchronized String text() {
            return text.toString();
        }
    }

    private static Path golden() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path g = p.resolve("shared/golden/llama-pico-base");
            if (Files.isDirectory(g)) {
                return g;
            }
        }
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError("shared/golden/llama-pico-base not found");
        }
        Assumptions.abort("shared/golden not found");
        return null;
    }

    @Test
    void servesUntilInterruptedAndPrintsItsAddress() throws Exception {
        Path model = golden();
        AddressWatcher out = new AddressWatcher();
        StringWriter err = new StringWriter();
        AtomicInteger exit = new AtomicInteger(-1);
        Thread serving = new Thread(() -> exit.set(Main.run(new String[] {"serve", model.toString(), "--port", "0",
                "--threads", "1", "--served-model-name", "golden", "--api-key", "k1"},
                new PrintWriter(out, true), new PrintWriter(err, true))));
        serving.start();
        try {
            assertThat(out.ready.await(60, TimeUnit.SECONDS)).as("address line; stderr: %s", err).isTrue();
            Matcher m = Pattern.compile("listening on (http://127\\.0\\.0\\.1:(\\d+))").matcher(out.text());
            assertThat(m.find()).isTrue();
            assertThat(Integer.parseInt(m.group(2))).isPositive();
            HttpClient client = HttpClient.newHttpClient();
            HttpResponse<String> models = client.send(HttpRequest.newBuilder(URI.create(m.group(1) + "/v1/models"))
                    .header("Authorization", "Bearer k1").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(models.statusCode()).isEqualTo(200);
            assertThat(models.body()).contains("\"id\":\"golden\"");
            HttpResponse<String> denied = client.send(HttpRequest.newBuilder(URI.create(m.group(1) + "/v1/models"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(denied.statusCode()).isEqualTo(401);
        } finally {
            serving.interrupt();
            serving.join(30_000);
        }
        assertThat(serving.isAlive()).isFalse();
        assertThat(exit.get()).isZero();
    }

    @Test
    void aMissingDirectoryIsAUsageError(@TempDir Path tmp) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {"serve", tmp.resolve("nope").toString()}, new PrintWriter(out, true),
                new PrintWriter(err, true));
        assertThat(code).isEqualTo(Main.EXIT_USAGE);
        assertThat(err.toString()).startsWith("evomerge: ").contains("nope").contains("not a directory");
    }

    @Test
    void aDirectoryWithoutTokenizerIsAUsageError(@TempDir Path tmp) {
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {"serve", tmp.toString()}, new PrintWriter(new StringWriter(), true),
                new PrintWriter(err, true));
        assertThat(code).isEqualTo(Main.EXIT_USAGE);
        assertThat(err.toString()).contains("tokenizer.json");
    }

    @Test
    void aNonLoopbackHostWithoutAnApiKeyIsWarnedAbout() {
        assertThat(ServeCommand.exposureWarning("0.0.0.0", false)).hasValueSatisfying(w -> assertThat(w)
                .isEqualTo("--host 0.0.0.0 accepts requests from other machines and no --api-key is set: anyone who"
                        + " can reach this port can use the model."));
        assertThat(ServeCommand.exposureWarning("::", false)).isPresent();
        assertThat(ServeCommand.exposureWarning("0.0.0.0", true)).isEmpty();
        assertThat(ServeCommand.exposureWarning("127.0.0.1", false)).isEmpty();
        assertThat(ServeCommand.exposureWarning("127.0.0.2", false)).isEmpty();
        assertThat(ServeCommand.exposureWarning("::1", false)).isEmpty();
        assertThat(ServeCommand.exposureWarning("localhost", false)).isEmpty();
    }

    @Test
    void aDashboardReachableFromOtherMachinesIsWarnedAbout() {
        assertThat(DashboardCommand.exposureWarning("0.0.0.0")).hasValueSatisfying(w -> assertThat(w)
                .startsWith("--host 0.0.0.0 shows the run").endsWith("the dashboard has no access control."));
        assertThat(DashboardCommand.exposureWarning("127.0.0.1")).isEmpty();
        assertThat(DashboardCommand.exposureWarning("localhost")).isEmpty();
    }
}
