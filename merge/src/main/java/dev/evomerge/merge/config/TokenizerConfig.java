package dev.evomerge.merge.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code tokenizer:} block (the legacy {@code tokenizer_source} key becomes one with no tokens).
 *
 * @param padToMultipleOf round the output vocabulary size up to a multiple of this, or null
 */
public record TokenizerConfig(TokenizerSource source, Map<String, TokenEmbedding> tokens, Integer padToMultipleOf) {

    public TokenizerConfig {
        Objects.requireNonNull(source, "source");
        tokens = tokens == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(tokens));
    }
}
