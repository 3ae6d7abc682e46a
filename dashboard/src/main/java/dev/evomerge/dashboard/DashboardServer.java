package dev.evomerge.dashboard;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.Reasons;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The read-only dashboard: a page and a small JSON API over the runs of a {@link RunCatalog}. Static files come from a
 * fixed list of classpath resources (no file-system paths are ever built from a request), and only GET/HEAD are served.
 */
public final class DashboardServer implements AutoCloseable {

    private static final String WEB = "/dev/evomerge/dashboard/web/";
    private static final String CHART_JS = "/META-INF/resources/webjars/chart.js/4.4.1/dist/chart.umd.js";
    private static final Map<String, String[]> STATIC = Map.of(
            "/", new String[] {WEB + "index.html", "text/html; charset=utf-8"},
            "/index.html", new String[] {WEB + "index.html", "text/html; charset=utf-8"},
            "/static/app.js", new String[] {WEB + "app.js", "text/javascript; charset=utf-8"},
            "/static/style.css", new String[] {WEB + "style.css", "text/css; charset=utf-8"},
            "/vendor/chart.umd.js", new String[] {CHART_JS, "text/javascript; charset=utf-8"});

    private final RunCatalog catalog;
    private final HttpServer http;
    private final ExecutorService pool = Executors.newFixedThreadPool(4);

    public DashboardServer(Path storage, String host, int port) {
        this.catalog = new RunCatalog(storage);
        try {
            http = HttpServer.create(new InetSocketAddress(host, port), 0);
        } catch (IOException e) {
            throw EvomergeException.usage("Cannot listen on " + host + ":" + port + ": " + Reasons.of(e) + ".", e);
        }
        http.createContext("/", this::handle);
        http.setExecutor(pool);
    }

    public void start() {
        http.start();
    }

    /** The address a browser should open. */
    public URI uri() {
        InetSocketAddress a = http.getAddress();
        String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getAddress().getHostAddress();
        return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort() + "/");
    }

    @Override
    public void close() {
        http.stop(0);
        pool.shutdownNow();
    }

    /** A complete answer, built before anything is sent, so a failure can still become a proper error reply. */
    private record Reply(int status, String type, byte[] body, String attachment) {

        static Reply text(int status, String text) {
            return new Reply(status, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8), null);
        }

        static Reply json(int status, String json) {
            return new Reply(status, "application/json; charset=utf-8", json.getBytes(StandardCharsets.UTF_8), null);
        }
    }

    /** The one place a reply is sent: handlers only build replies, and a failure becomes a 500 before sending. */
    private void handle(HttpExchange ex) {
        try (ex) {
            Reply reply;
            try {
                reply = respond(ex.getRequestMethod(), ex.getRequestURI().getRawPath());
            } catch (IOException | RuntimeException | Error e) {
                ObjectNode error = RunSummary.JSON.createObjectNode().put("error", String.valueOf(e.getMessage()));
                reply = Reply.json(500, error.toString());
            }
            send(ex, reply);
        } catch (IOException e) {
            // the browser went away; nothing to tell it
        }
    }

    private Reply respond(String method, String path) throws IOException {
        if (!method.equals("GET") && !method.equals("HEAD")) {
            return Reply.text(405, "The dashboard is read-only.\n");
        }
        String[] res = STATIC.get(path);
        if (res != null) {
            try (InputStream in = DashboardServer.class.getResourceAsStream(res[0])) {
                if (in == null) {
                    return Reply.text(500, "missing resource " + res[0]);
                }
                return new Reply(200, res[1], in.readAllBytes(), null);
            }
        }
        if (path.equals("/api/runs")) {
            return Reply.json(200, runList().toString());
        }
        if (path.startsWith("/api/runs/")) {
            String[] parts = path.substring("/api/runs/".length()).split("/", -1);
            if (parts.length == 2) {
                String name = URLDecoder.decode(parts[0], StandardCharsets.UTF_8);
                Optional<Path> folder = catalog.find(name);
                if (folder.isPresent()) {
                    RunSummary s = catalog.read(name, folder.get());
                    switch (parts[1]) {
                        case "summary" -> {
                            return Reply.json(200, s.toJson().toString());
                        }
                        case "candidates" -> {
                            return Reply.json(200, s.candidatesJson().toString());
                        }
                        case "fitness" -> {
                            return Reply.json(200, FitnessView.json(folder.get()).toString());
                        }
                        case "best_config.yaml" -> {
                            var best = s.best();
                            String yaml = best.map(b -> b.candidate().mergeYaml()).orElse(null);
                            if (yaml != null) {
                                return new Reply(200, "application/yaml; charset=utf-8",
                                        yaml.getBytes(StandardCharsets.UTF_8), "best_config.yaml");
                            }
                        }
                        default -> {
                        }
                    }
                }
            }
        }
        return Reply.text(404, "Not found.\n");
    }

    /**
     * Every run of the catalog. A run whose run.db cannot be read (empty, corrupt, not a run store) is listed with
     * status "unreadable" and the reason in "error", so one bad folder does not hide the others.
     */
    private ArrayNode runList() {
        ArrayNode arr = RunSummary.JSON.createArrayNode();
        catalog.runs().forEach((name, folder) -> {
            ObjectNode n = arr.addObject();
            n.put("name", name);
            RunSummary s;
            try {
                s = catalog.read(name, folder);
            } catch (RuntimeException e) {
                n.put("status", "unreadable");
                n.put("error", String.valueOf(e.getMessage()));
                return;
            }
            n.put("status", s.meta().getOrDefault("status", "unknown"));
            n.put("candidates", s.candidates().size());
            s.best().ifPresent(b -> n.put("best", b.score()));
        });
        return arr;
    }

    private static void send(HttpExchange ex, Reply reply) throws IOException {
        if (reply.attachment() != null) {
            ex.getResponseHeaders().add("Content-Disposition", "attachment; filename=\"" + reply.attachment() + "\"");
        }
        ex.getResponseHeaders().set("Content-Type", reply.type());
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        ex.getResponseHeaders().set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'");
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(reply.status(), head ? -1 : reply.body().length);
        if (!head) {
            try (OutputStream os = ex.getResponseBody()) {
                os.write(reply.body());
            }
        }
    }
}
