package dev.evomerge.engine;

import java.util.List;

/** The tokens generated for one request (the prompt excluded), with per-token details and why it ended. */
public record Generation(List<GeneratedToken> tokens, FinishReason finishReason) {

    public Generation {
        tokens = List.copyOf(tokens);
    }

    /** Just the token ids. */
    public int[] tokenIds() {
        return tokens.stream().mapToInt(GeneratedToken::token).toArray();
    }
}
