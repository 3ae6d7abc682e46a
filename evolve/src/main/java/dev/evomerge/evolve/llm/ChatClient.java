package dev.evomerge.evolve.llm;

import dev.evomerge.engine.chat.ChatMessage;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/** Messages in, the assistant's text out. OpenAI-compatible HTTP servers and the embedded local model implement it. */
public interface ChatClient {

    /**
     * A transient fault the client retries: the HTTP status (null for a transport error or a timeout), what went
     * wrong (secrets redacted), how long the failed request took, the wait before the next try, and the number of
     * the failed try (1-based) out of {@code attempts}.
     */
    record Retry(Integer httpStatus, String problem, long latencyMillis, Duration delay, int attempt, int attempts) {
        /** "HTTP 500: boom; retry 1 of 5 in 1.0 s". */
        public String text() {
            return String.format(java.util.Locale.ROOT, "%s; retry %d of %d in %.1f s", problem, attempt, attempts - 1,
                    delay.toMillis() / 1000.0);
        }
    }

    /**
     * One completion of the conversation, asking for a JSON object reply. Transport faults are retried inside, each
     * reported to {@code retries} before the wait; what still fails is thrown as {@link ChatException}.
     */
    String complete(List<ChatMessage> messages, Consumer<Retry> retries);

    /** A reply's text and what the request cost in tokens. */
    record Completion(String text, TokenUsage usage) {
    }

    /**
     * {@link #complete(List, Consumer)} with the tokens it cost: the server's count where it reports one, else an
     * estimate ({@link TokenUsage#estimated()}).
     */
    default Completion chat(List<ChatMessage> messages, Consumer<Retry> retries) {
        String text = complete(messages, retries);
        return new Completion(text, TokenUsage.estimate(messages, text));
    }

    /** The model's own context length in tokens where the client knows it (a local model), else null. */
    default Integer contextTokens() {
        return null;
    }

    /** {@link #complete(List, Consumer)} without reports of retries. */
    default String complete(List<ChatMessage> messages) {
        return complete(messages, r -> { });
    }

    /**
     * Checks before a run that the endpoint answers, accepts the key and knows the model, with one small request;
     * throws a usage {@link dev.evomerge.core.EvomergeException} naming the problem. Local clients have nothing to check.
     */
    default void check() {
    }

    /** {@code text} with this client's secrets (API key, URL credentials) masked; for anything stored or shown. */
    default String redact(String text) {
        return text;
    }

    /** A short description for logs and the run store ("gpt-4o at https://..."), without secrets. */
    String description();
}
