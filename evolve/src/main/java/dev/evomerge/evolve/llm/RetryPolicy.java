package dev.evomerge.evolve.llm;

import java.time.Duration;

/**
 * How an LLM client retries transient faults (transport errors, timeouts, HTTP 429 and 5xx): up to {@code attempts}
 * calls, waiting base * 2^k (capped) between them, or the server's Retry-After when it sends one.
 */
public record RetryPolicy(int attempts, Duration baseDelay, Duration maxDelay, Duration requestTimeout) {

    public static RetryPolicy defaults() {
        return new RetryPolicy(6, Duration.ofSeconds(1), Duration.ofSeconds(60), Duration.ofSeconds(120));
    }

    /** The wait before retry number {@code retry} (0-based), unless the server said otherwise. */
    public Duration backoff(int retry) {
        long ms = baseDelay.toMillis() << Math.min(retry, 20);
        return Duration.ofMillis(Math.min(ms, maxDelay.toMillis()));
    }
}
