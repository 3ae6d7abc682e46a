package dev.evomerge.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A request the server refuses, answered with an HTTP status and an OpenAI-style error body
 * {@code {"error": {"message", "type", "param", "code"}}}.
 */
public final class ApiException extends RuntimeException {

    /**
     * OpenAI's error object.
     *
     * @param message what went wrong, for the client
     * @param type    e.g. {@code invalid_request_error} or {@code server_error}
     * @param param   the request field at fault, or null
     * @param code    a machine-readable code such as {@code context_length_exceeded}, or null
     */
    public record ErrorObject(String message, String type, String param, String code) {

        /** The response body: {"error": {"message", "type", "param", "code"}}. */
        ObjectNode body(ObjectMapper mapper) {
            ObjectNode body = mapper.createObjectNode();
            ObjectNode error = body.putObject("error");
            error.put("message", message);
            error.put("type", type);
            error.put("param", param);
            error.put("code", code);
            return body;
        }
    }

    private final int status;
    private final ErrorObject error;

    public ApiException(int status, String type, String message, String param, String code) {
        super(message, null, false, false);
        this.status = status;
        this.error = new ErrorObject(message, type, param, code);
    }

    /** 400: a malformed body or an invalid field ({@code param} names it, or null). */
    public static ApiException invalid(String message, String param) {
        return new ApiException(400, "invalid_request_error", message, param, null);
    }

    /** 400 with an error code, e.g. {@code context_length_exceeded}. */
    public static ApiException invalid(String message, String param, String code) {
        return new ApiException(400, "invalid_request_error", message, param, code);
    }

    /** The HTTP status of the answer. */
    public int status() {
        return status;
    }

    /** The error object the answer carries. */
    public ErrorObject error() {
        return error;
    }
}
