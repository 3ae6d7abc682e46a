package dev.evomerge.evolve.local;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;

/**
 * A real OpenAI-protocol server process for --eval-server-cmd tests: it answers /v1/models, and for the one model
 * directory named {@code STALL} accepts /v1/completions requests and never answers them (a hung inference server);
 * any other model's completions are refused with HTTP 400 at once. It writes its process id to PIDDIR/NAME.pid.
 *
 * <p>Usage: {@code java -cp TEST_CLASSES dev.evomerge.evolve.local.StallingCompletionsServer MODEL PORT STALL PIDDIR}
 */
public final class StallingCompletionsServer {

    public static void main(String[] args) throws IOException, InterruptedException {
        Path model = Path.of(args[0]);
        int port = Integer.parseInt(args[1]);
        boolean stall = model.getFileName().toString().equals(args[2]);
        Files.writeString(Path.of(args[3]).resolve(model.getFileName() + ".pid"), Long.toString(ProcessHandle.current().pid()));
        CountDownLatch never = new CountDownLatch(1);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 16);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/v1/models", x -> reply(x, 200, "{\"object\": \"list\", \"data\": [{\"id\": \"merged\"}]}"));
        server.createContext("/v1/completions", x -> {
            x.getRequestBody().readAllBytes();
            if (!stall) {
                reply(x, 400, "{\"error\": {\"message\": \"this server scores nothing\"}}");
                return;
            }
            try {
                never.await(); // hold the request open until the process is stopped
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
        never.await();
    }

    private static void reply(HttpExchange x, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.sendResponseHeaders(status, bytes.length);
        try (var out = x.getResponseBody()) {
            out.write(bytes);
        }
    }
}
