package dev.evomerge.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Assumptions;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One real headless Chromium (Debian's package), driven over the DevTools protocol on a loopback port.
 *
 * <p>A page counts as shown once the dashboard sets {@code data-ready} on its body, which app.js does only after it has
 * fetched the run and drawn everything. The tests used to run {@code chromium --dump-dom --virtual-time-budget=8000}
 * instead: then Chromium dumps the DOM only when 8 virtual seconds have passed, and virtual time stands still while a
 * fetch is pending. The dashboard polls its summary every 3 s, and now and then (4 of 28 loads of the Pareto page on a
 * loaded 2-core machine, Chromium 156) virtual time stayed stuck for good just after the first poll's fetch had been
 * answered (performance.now() frozen 10 ms after that fetch began, its responseEnd recorded, data-ready long set): the
 * budget never ran out and Chromium never exited. Waiting in real time for the page's own ready
 * mark, with a deadline that fails with the page's state, has no such race; one browser also serves every page of a
 * test class, instead of one browser start per DOM dump or screenshot.
 */
final class HeadlessChromium implements AutoCloseable {

    static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    static final int WIDTH = 1400;
    static final int HEIGHT = 2400;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final Path log;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> replies = new ConcurrentHashMap<>();

    static Path executable() {
        for (String c : new String[] {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}) {
            if (Files.isExecutable(Path.of(c))) {
                return Path.of(c);
            }
        }
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError("headless Chromium is required in CI: .ci/run installs Debian's chromium package");
        }
        Assumptions.abort("chromium is not installed (apt-get install chromium)");
        return null;
    }

    /** Starts Chromium with a fresh profile in {@code profile} and connects to it. */
    static HeadlessChromium start(Path profile) throws Exception {
        Files.createDirectories(profile);
        Path log = profile.resolveSibling(profile.getFileName() + ".log");
        List<String> cmd = new ArrayList<>(List.of(executable().toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage", "--user-data-dir=" + profile,
                // port 0: Chromium picks a free loopback port and writes it to DevToolsActivePort in the profile
                "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
                "--window-size=" + WIDTH + "," + HEIGHT, "about:blank"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Path portFile = profile.resolve("DevToolsActivePort");
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (!Files.isRegularFile(portFile) || Files.readAllLines(portFile).size() < 2) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                kill(p);
                throw new AssertionError("headless Chromium " + (p.isAlive() ? "did not open its DevTools port in "
                        + READY_TIMEOUT.toSeconds() + " s" : "exited with status " + p.exitValue()) + "; its output:\n" + tail(log));
            }
            Thread.sleep(50);
        }
        List<String> lines = Files.readAllLines(portFile);
        URI browser = URI.create("ws://127.0.0.1:" + lines.get(0).trim() + lines.get(1).trim());
        try {
            return new HeadlessChromium(p, log, browser);
        } catch (Exception | Error e) {
            kill(p);
            throw e;
        }
    }

    /** A test class's one browser: started on first use (so a missing Chromium skips only the browser tests), closed once. */
    static final class Lazy implements AutoCloseable {
        private HeadlessChromium browser;

        HeadlessChromium get(Path profile) throws Exception {
            if (browser == null) {
                browser = start(profile);
            }
            return browser;
        }

        @Override
        public void close() throws Exception {
            if (browser != null) {
                browser.close();
                browser = null;
            }
        }
    }

    private HeadlessChromium(Process process, Path log, URI browser) throws Exception {
        this.process = process;
        this.log = log;
        this.socket = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(browser, new Listener())
                .get(READY_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }

    /** A tab showing {@code url} once the dashboard marked it ready; the dashboard's data-ready value is checked by callers. */
    Tab open(String url) throws Exception {
        String target = call(null, "Target.createTarget", Map.of("url", "about:blank")).get("targetId").asText();
        String session = call(null, "Target.attachToTarget", Map.of("targetId", target, "flatten", true)).get("sessionId").asText();
        Tab tab = new Tab(target, session);
        call(session, "Emulation.setDeviceMetricsOverride", Map.of("width", WIDTH, "height", HEIGHT, "deviceScaleFactor", 1,
                "mobile", false));
        JsonNode nav = call(session, "Page.navigate", Map.of("url", url));
        assertNoError(nav.path("errorText").asText(""), url);
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (true) {
            String ready = tab.eval("document.readyState === 'complete' && document.body && document.body.dataset.ready || ''");
            if (!ready.isEmpty()) {
                return tab;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the page " + url + " was not ready in " + READY_TIMEOUT.toSeconds() + " s; readyState "
                        + tab.eval("document.readyState") + ", status line '" + tab.eval("(document.getElementById('updated') || {}).textContent")
                        + "', fetches " + tab.eval("JSON.stringify(performance.getEntriesByType('resource').map(e => [e.name, Math.round(e.startTime), Math.round(e.responseEnd)]))"));
            }
            Thread.sleep(50);
        }
    }

    private static void assertNoError(String errorText, String url) {
        if (!errorText.isEmpty()) {
            throw new AssertionError("Chromium could not load " + url + ": " + errorText);
        }
    }

    /** One tab; closed when the test is done with it. */
    final class Tab implements AutoCloseable {
        private final String target;
        private final String session;

        private Tab(String target, String session) {
            this.target = target;
            this.session = session;
        }

        /** The page's DOM as serialized HTML, as {@code chromium --dump-dom} prints it. */
        String dom() throws Exception {
            return eval("(document.doctype ? new XMLSerializer().serializeToString(document.doctype) : '') "
                    + "+ document.documentElement.outerHTML");
        }

        /** A PNG of the viewport (WIDTH x HEIGHT). */
        void screenshot(Path png) throws Exception {
            JsonNode r = call(session, "Page.captureScreenshot", Map.of("format", "png"));
            Files.write(png, Base64.getDecoder().decode(r.get("data").asText()));
        }

        String eval(String expression) throws Exception {
            JsonNode r = call(session, "Runtime.evaluate", Map.of("expression", expression, "returnByValue", true));
            if (r.has("exceptionDetails")) {
                throw new AssertionError("the page threw on " + expression + ": " + r.get("exceptionDetails"));
            }
            return r.path("result").path("value").asText("");
        }

        @Override
        public void close() throws Exception {
            call(null, "Target.closeTarget", Map.of("targetId", target));
        }
    }

    private JsonNode call(String session, String method, Map<String, Object> params) throws Exception {
        int id = ids.incrementAndGet();
        ObjectNode msg = JSON.createObjectNode().put("id", id).put("method", method);
        msg.set("params", JSON.valueToTree(params));
        if (session != null) {
            msg.put("sessionId", session);
        }
        CompletableFuture<JsonNode> reply = new CompletableFuture<>();
        replies.put(id, reply);
        synchronized (socket) {
            socket.sendText(msg.toString(), true).get(READY_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
        JsonNode r;
        try {
            r = reply.get(READY_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("Chromium did not answer " + method + " in " + READY_TIMEOUT.toSeconds() + " s; its output:\n" + tail(log));
        } finally {
            replies.remove(id);
        }
        if (r.has("error")) {
            throw new AssertionError("Chromium refused " + method + ": " + r.get("error"));
        }
        return r.get("result");
    }

    /** Collects text frames into messages and completes the reply a message answers; events are not needed. */
    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    JsonNode m = JSON.readTree(partial.toString());
                    CompletableFuture<JsonNode> f = m.has("id") ? replies.get(m.get("id").asInt()) : null;
                    if (f != null) {
                        f.complete(m);
                    }
                } catch (Exception e) {
                    replies.values().forEach(f -> f.completeExceptionally(e));
                }
                partial.setLength(0);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
            replies.values().forEach(f -> f.completeExceptionally(new IllegalStateException("Chromium closed the DevTools socket")));
            return null;
        }
    }

    @Override
    public void close() throws Exception {
        try {
            call(null, "Browser.close", Map.of());
        } catch (Exception | AssertionError e) {
            // the socket can close before the reply comes; the exit below is what counts
        }
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            kill(process);
        }
        socket.abort();
    }

    private static void kill(Process p) throws InterruptedException {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly().waitFor();
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (Exception e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }
}
