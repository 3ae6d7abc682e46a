package dev.evomerge.engine.tokenizer;

/**
 * A token the tokenizer matches before running its model (tokenizer.json {@code added_tokens}); special ones are
 * dropped by {@code decode(ids, true)}.
 */
public record AddedToken(int id, String content, boolean special) {
}
