package dev.evomerge.evolve.llm;

/** An LLM call that failed after the client's own retries (transport, HTTP status, or protocol). */
public final class ChatException extends RuntimeException {

    public ChatException(String message, Throwable cause) {
        super(message, cause);
    }

    public ChatException(String message) {
        super(message);
    }
}
