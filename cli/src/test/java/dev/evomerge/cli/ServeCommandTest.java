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
    void theHiddenFaultOptionMakesAServerThatAcknowledgesReloadsAndKeepsItsWeights(@TempDir Path tmp)
            throws Exception {
        Path model = golden();
        Path other = tmp.resolve("other");
        dev.evomerge.core.synth.FineTuneSynthesizer.write(model, other, 3, 1.0);
        StringWriter help = new StringWriter();
        Main.run(new String[] {"serve", "--help"}, new PrintWriter(help, true), new PrintWriter(help, true));
        assertThat(help.toString()).contains("--bf16-weights").doesNotContain("--test-ignore-weight-updates");

        AddressWatcher out = new AddressWatcher();
        StringWriter err = new StringWriter();
        Thread serving = new Thread(() -> Main.run(new String[] {"serve", model.toString(), "--port", "0",
                "--threads", "1", "--test-ignore-weight-updates"}, new PrintWriter(out, true),
                new PrintWriter(err, true)));
        serving.start();
        try {
            assertThat(out.ready.await(60, TimeUnit.SECONDS)).as("address line; stderr: %s", err).isTrue();
            Matcher m = Pattern.compile("listening on (http://127\\.0\\.0\\.1:\\d+)").matcher(out.text());
            assertThat(m.find()).isTrue();
            HttpClient client = HttpClient.newHttpClient();
            String probe = "{\"prompt\":[1,20,30,40,50],\"max_tokens\":1,\"temperature\":0,\"echo\":true,"
                    + "\"logprobs\":1}";
            String before = client.send(HttpRequest.newBuilder(URI.create(m.group(1) + "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(probe)).build(), HttpResponse.BodyHandlers.ofString())
                    .body();
            HttpResponse<String> update = client.send(HttpRequest.newBuilder(URI.create(m.group(1)
                    + "/update_weights_from_disk")).POST(HttpRequest.BodyPublishers.ofString("{\"model_path\":\""
                    + other + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(update.statusCode()).isEqualTo(200);
            assertThat(update.body()).contains("\"success\":true");
            String after = client.send(HttpRequest.newBuilder(URI.create(m.group(1) + "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(probe)).build(), HttpResponse.BodyHandlers.ofString())
                    .body();
            // the same weights: equal up to float sums reduced in another order as the JIT compiles the kernels
            double[] b = logprobs(before);
            double[] a = logprobs(after);
            assertThat(a).hasSize(6); // the 5 prompt tokens and the generated one
            for (int i = 1; i < a.length; i++) {
                assertThat(a[i]).isCloseTo(b[i], org.assertj.core.data.Offset.offset(1e-4));
            }
        } finally {
            serving.interrupt();
            serving.join(30_000);
        }
        assertThat(serving.isAlive()).isFalse();
    }

    /** The token_logprobs of a completions reply (the first, null, as NaN). */
    private static double[] logprobs(String reply) throws java.io.IOException {
        com.fasterxml.jackson.databind.JsonNode lp = new com.fasterxml.jackson.databind.ObjectMapper().readTree(reply)
                .at("/choices/0/logprobs/token_logprobs");
        double[] out = new double[lp.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = lp.get(i).isNumber() ? lp.get(i).asDouble() : Double.NaN;
        }
        return out;
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
                        + " can reach this port can use the model and make it load the weights of any model directory"
                        + " this process can read."));
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
