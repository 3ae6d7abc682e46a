package dev.evomerge.evolve.llm;

/** An LLM call that failed after the client's own retries (transport, HTTP status, or protocol). */
public final class ChatException extends RuntimeException {

    private final Integer httpStatus;
    private boolean contextExceeded;

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

    /** This exception marked as a prompt longer than the model's context (the caller may trim and ask again). */
    public ChatException contextExceeded() {
        this.contextExceeded = true;
        return this;
    }

    /** Whether the server (or the local model) refused the prompt as longer than its context. */
    public boolean isContextExceeded() {
        return contextExceeded;
    }

    /** The server's HTTP status of the last try, or null when there was none (transport error, protocol). */
    public Integer httpStatus() {
        return httpStatus;
    }
}
