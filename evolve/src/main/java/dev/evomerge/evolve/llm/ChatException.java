package dev.evomerge.evolve.llm;

/** An LLM call that failed after the client's own retries (transport, HTTP status, or protocol). */
public final class ChatException extends RuntimeException {

    private final Integer httpStatus;

    public ChatException(String message, Throwable cause) {
        super(message, cause);
        this.httpStatus = null;
    }

    public ChatException(String message) {
        this(message, (Integer) null);
    }

    public ChatException(String message, Integer httpStatus) {
        super(message);
        this.httpStatus = httpStatus;
    }

    /** The server's HTTP status of the last try, or null when there was none (transport error, protocol). */
    public Integer httpStatus() {
        return httpStatus;
    }
}
