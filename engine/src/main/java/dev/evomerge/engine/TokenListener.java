package dev.evomerge.engine;

/** Receives each generated token as soon as it is chosen (for streaming); called on the calling thread. */
@FunctionalInterface
public interface TokenListener {

    /** Ignores tokens. */
    TokenListener NONE = token -> {
    };

    void onToken(GeneratedToken token);
}
