package dev.evomerge.core;

/**
 * A failure a user can understand from one sentence: the message names the file, key, tensor or line at fault.
 * The CLI prints the message and exits 2 for {@link Kind#USAGE} (bad arguments, config or input files)
 * and 1 for {@link Kind#RUNTIME} (something failed while doing valid work, e.g. a full disk).
 */
public final class EvomergeException extends RuntimeException {

    /** Which exit status the CLI uses. */
    public enum Kind { USAGE, RUNTIME }

    private final Kind kind;

    private EvomergeException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    /** Bad input: arguments, configuration, or a malformed file. */
    public static EvomergeException usage(String message) {
        return new EvomergeException(Kind.USAGE, message, null);
    }

    /** Bad input discovered through a lower-level exception. */
    public static EvomergeException usage(String message, Throwable cause) {
        return new EvomergeException(Kind.USAGE, message, cause);
    }

    /** Valid work that failed (I/O, resources). */
    public static EvomergeException runtime(String message, Throwable cause) {
        return new EvomergeException(Kind.RUNTIME, message, cause);
    }

    public Kind kind() {
        return kind;
    }
}
