package dev.evomerge.server;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A server-sent-events client over java.net.http, reading {@code text/event-stream} as the WHATWG rules say: lines
 * {@code data: ...} (several joined with a newline) make one event, dispatched at a blank line; comment lines
 * ({@code :...}) and other fields are skipped.
 */
final class SseClient implements AutoCloseable {

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;

    SseClient(String base) {
        this.base = base;
    }

    /** An open stream: its status, content type, and its events read one at a time. */
    static final class Events implements AutoCloseable {
        final int status;
        final String contentType;
        private final InputStream body;
        private final BufferedReader reader;

        Events(HttpResponse<InputStream> r) {
            this.status = r.statusCode();
            this.contentType = r.headers().firstValue("Content-Type").orElse("");
            this.body = r.body();
            this.reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
        }

        /** The next event's data, or null at the end of the stream. */
        String next() throws IOException {
            StringBuilder data = null;
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.isEmpty()) {
                    if (data != null) {
                        return data.toString();
                    }
                    continue;
                }
                if (line.startsWith(":")) {
                    continue;
                }
                int colon = line.indexOf(':');
                String field = colon < 0 ? line : line.substring(0, colon);
                String value = colon < 0 ? "" : line.substring(colon + 1);
                if (value.startsWith(" ")) {
                    value = value.substring(1);
                }
                if (field.equals("data")) {
                    data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                }
            }
            return data == null ? null : data.toString();
        }

        /** Every remaining event. */
        List<String> rest() throws IOException {
            List<String> out = new ArrayList<>();
            for (String e = next(); e != null; e = next()) {
                out.add(e);
            }
            return out;
        }

        /** Closes the connection (mid-stream: the client goes away). */
        @Override
        public void close() throws IOException {
            body.close();
        }
    }

    Events post(String path, JsonNode body) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + path))
                .header("Content-Type", "application/json").header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(Http.JSON.writeValueAsString(body))).build();
        return new Events(client.send(req, HttpResponse.BodyHandlers.ofInputStream()));
    }

    @Override
    public void close() {
        client.close();
    }
}
