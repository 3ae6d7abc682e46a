package dev.evomerge.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A request the server refuses, answered with an OpenAI-style error body
 * {@code {"error": {"message", "type", "param", "code"}}} and an HTTP status.
 */
public final class ApiException extends RuntimeException {

    private final int status;
    private final String type;
    private final String param;
    private final String code;

    public ApiException(int status, String type, String message, String param, String code) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** 400: a malformed body or an invalid field ({@code param} names it, or null). */
    public static ApiException invalid(String message, String param) {
        return new ApiException(400, "invalid_request_error", message, param, null);
    }

    /** 400 with an error code, e.g. {@code context_length_exceeded}. */
    public static ApiException invalid(String message, String param, String code) {
        return new ApiException(400, "invalid_request_error", message, param, code);
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String param() {
        return param;
    }

    public String code() {
        return code;
    }

    /** OpenAI's error object for this error: {"error": {"message", "type", "param", "code"}}. */
    ObjectNode body(ObjectMapper mapper) {
        ObjectNode body = mapper.createObjectNode();
        ObjectNode error = body.putObject("error");
        error.put("message", getMessage());
        error.put("type", type());
        error.put("param", param());
        error.put("code", code());
        return body;
    }
}
