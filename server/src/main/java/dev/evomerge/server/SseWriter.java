package dev.evomerge.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A {@code text/event-stream} reply: one {@code data: <json>} event per chunk, flushed at once, and
 * {@code data: [DONE]} at the end, as OpenAI's streaming endpoints send them. The headers go out with the first
 * event, so a request refused before it (bad input, context too long) still gets a plain JSON error. A client that
 * went away turns every later send into a no-op and {@link #gone()} true, which generation checks to stop.
 */
final class SseWriter {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final HttpExchange exchange;
    private OutputStream out;
    private volatile boolean gone;

    SseWriter(HttpExchange exchange) {
        this.exchange = exchange;
    }

    /** Whether the headers (and so the 200 status) were sent. */
    boolean started() {
        return out != null;
    }

    /** Whether the client closed the connection: nothing more will reach it. */
    boolean gone() {
        return gone;
    }

    /** Sends one event; false once the client has gone. */
    boolean send(JsonNode chunk) {
        try {
            return write("data: " + MAPPER.writeValueAsString(chunk) + "\n\n");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The stream's last event. */
    boolean done() {
        return write("data: [DONE]\n\n");
    }

    /** An error after the stream started: sent as an event with OpenAI's error object, then [DONE]. */
    void error(ApiException e) {
        send(e.error().body(MAPPER));
        done();
    }

    private boolean write(String event) {
        if (gone) {
            return false;
        }
        try {
            if (out == null) {
                exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
                exchange.getResponseHeaders().set("Cache-Control", "no-cache");
                exchange.sendResponseHeaders(200, 0); // 0: chunked, length unknown
                out = exchange.getResponseBody();
            }
            out.write(event.getBytes(StandardCharsets.UTF_8));
            out.flush();
            return true;
        } catch (IOException e) {
            gone = true;
            return false;
        }
    }
}
