package dev.evomerge.merge.config;

import java.util.Objects;

/** Where the embedding row of a configured token comes from (the {@code source} of a {@code tokenizer.tokens} entry). */
public sealed interface EmbeddingSource {

    /** A zero row ({@code kind: zero}). */
    record Zero() implements EmbeddingSource {
    }

    /** The given model's row for the same token (a plain model reference). */
    record FromModel(ModelReference model) implements EmbeddingSource {
        public FromModel {
            Objects.requireNonNull(model, "model");
        }
    }

    /**
     * The given model's row for another token ({@code kind: model_token}), by id or by token string; exactly one of
     * the two is set.
     */
    record ModelToken(ModelReference model, Integer tokenId, String token) implements EmbeddingSource {
        public ModelToken {
            Objects.requireNonNull(model, "model");
            if ((tokenId == null) == (token == null)) {
                throw new IllegalArgumentException("exactly one of tokenId and token");
            }
        }
    }
}
