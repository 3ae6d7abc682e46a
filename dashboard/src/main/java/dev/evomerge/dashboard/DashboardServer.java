package dev.evomerge.dashboard;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.evomerge.core.EvomergeException;

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
            throw EvomergeException.usage("Cannot listen on " + host + ":" + port + ": " + e.getMessage() + ".", e);
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

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                send(ex, 405, "text/plain; charset=utf-8", "The dashboard is read-only.\n".getBytes(StandardCharsets.UTF_8));
                return;
            }
            String path = ex.getRequestURI().getRawPath();
            String[] res = STATIC.get(path);
            if (res != null) {
                try (InputStream in = DashboardServer.class.getResourceAsStream(res[0])) {
                    if (in == null) {
                        send(ex, 500, "text/plain; charset=utf-8", ("missing resource " + res[0]).getBytes(StandardCharsets.UTF_8));
                        return;
                    }
                    send(ex, 200, res[1], in.readAllBytes());
                }
                return;
            }
            if (path.equals("/api/runs")) {
                ArrayNode arr = RunSummary.JSON.createArrayNode();
                catalog.runs().forEach((name, folder) -> {
                    RunSummary s = catalog.read(name, folder);
                    ObjectNode n = arr.addObject();
                    n.put("name", name);
                    n.put("status", s.meta().getOrDefault("status", "unknown"));
                    n.put("candidates", s.candidates().size());
                    s.best().ifPresent(b -> n.put("best", b.score()));
                });
                json(ex, arr.toString());
                return;
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
                                json(ex, s.toJson().toString());
                                return;
                            }
                            case "candidates" -> {
                                json(ex, s.candidatesJson().toString());
                                return;
                            }
                            case "best_config.yaml" -> {
                                var best = s.best();
                                if (best.isPresent() && best.get().mergeYaml() != null) {
                                    ex.getResponseHeaders().add("Content-Disposition", "attachment; filename=\"best_config.yaml\"");
                                    send(ex, 200, "application/yaml; charset=utf-8", best.get().mergeYaml().getBytes(StandardCharsets.UTF_8));
                                    return;
                                }
                            }
                            default -> {
                            }
                        }
                    }
                }
            }
            send(ex, 404, "text/plain; charset=utf-8", "Not found.\n".getBytes(StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            byte[] body = ("{\"error\": " + RunSummary.JSON.writeValueAsString(String.valueOf(e.getMessage())) + "}")
                    .getBytes(StandardCharsets.UTF_8);
            send(ex, 500, "application/json", body);
        }
    }

    private static void json(HttpExchange ex, String body) throws IOException {
        send(ex, 200, "application/json; charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        ex.getResponseHeaders().set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'");
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head ? -1 : body.length);
        if (!head) {
            try (OutputStream os = ex.getResponseBody()) {
                os.write(body);
            }
        }
    }
}
