package dev.evomerge.eval.reload;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.evomerge.core.EvomergeException;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** JSON over HTTP/1.1 to one server's control endpoints; transport failures are IOExceptions for the caller. */
final class ServerHttp {

    static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.ALLOW_NON_NUMERIC_NUMBERS);

    // One client for every server: it keeps connections per host and is safe to share between threads.
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    /** An answer: its status, its body as text, and the body as JSON (a missing node when it is not JSON). */
    record Reply(int status, String body, JsonNode json) {
        boolean ok() {
            return status / 100 == 2;
        }

        /** The body cut to 300 characters, for messages. */
        String excerpt() {
            String b = body == null ? "" : body.strip();
            return b.length() > 300 ? b.substring(0, 300) + "..." : b;
        }
    }

    private ServerHttp() {
    }

    static Reply get(ServerEndpoint server, String path, Duration timeout) throws IOException {
        return send(server, HttpRequest.newBuilder(server.resolve(path)).timeout(timeout).GET());
    }

    static Reply post(ServerEndpoint server, String path, Object body, Duration timeout) throws IOException {
        byte[] payload = JSON.writeValueAsBytes(body);
        return send(server, HttpRequest.newBuilder(server.resolve(path)).timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(payload)));
    }

    private static Reply send(ServerEndpoint server, HttpRequest.Builder request) throws IOException {
        server.apiKey().ifPresent(key -> request.header("Authorization", "Bearer " + key));
        HttpResponse<String> response;
        try {
            response = CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw EvomergeException.runtime("interrupted while waiting for the server at " + server, e);
        }
        JsonNode json;
        try {
            json = response.body() == null || response.body().isBlank() ? MissingNode.getInstance()
                    : JSON.readTree(response.body());
        } catch (IOException notJson) {
            json = MissingNode.getInstance();
        }
        return new Reply(response.statusCode(), response.body(), json);
    }

    /** A transport failure in a few words: {@code ConnectException: Connection refused}. */
    static String describe(IOException e) {
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
}
