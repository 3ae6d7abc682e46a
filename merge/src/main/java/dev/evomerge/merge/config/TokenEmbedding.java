package dev.evomerge.merge.config;

/**
 * One entry of {@code tokenizer.tokens}.
 *
 * @param source where the row comes from, or null for the default rule
 * @param force  use {@code source} even for models that have the token themselves
 */
public record TokenEmbedding(EmbeddingSource source, boolean force) {
}
