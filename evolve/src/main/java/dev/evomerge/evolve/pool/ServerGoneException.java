package dev.evomerge.evolve.pool;

/**
 * A server of the pool can no longer evaluate: it stopped answering, or it kept serving other weights than those it
 * was asked to load. The pool takes it out and gives its candidate to another server.
 */
final class ServerGoneException extends RuntimeException {

    ServerGoneException(String message, Throwable cause) {
        super(message, cause);
    }
}
