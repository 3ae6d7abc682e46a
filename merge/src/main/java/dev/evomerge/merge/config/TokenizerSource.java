package dev.evomerge.merge.config;

import java.util.Objects;

/** Where the output vocabulary comes from: the base model's tokenizer, one model's, or the union of all. */
public sealed interface TokenizerSource {

    /** The base model's (else the first listed model's) tokenizer. */
    record Base() implements TokenizerSource {
        @Override
        public String toString() {
            return "base";
        }
    }

    /** Base vocabulary plus every other model's tokens. */
    record Union() implements TokenizerSource {
        @Override
        public String toString() {
            return "union";
        }
    }

    /** One named model's tokenizer. */
    record Model(ModelReference model) implements TokenizerSource {
        public Model {
            Objects.requireNonNull(model, "model");
        }

        @Override
        public String toString() {
            return model.toString();
        }
    }
}
