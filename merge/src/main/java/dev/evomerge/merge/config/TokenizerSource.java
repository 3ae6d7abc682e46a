package dev.evomerge.merge.config;

import dev.evomerge.core.EvomergeException;

import java.util.Objects;

/** Where the output vocabulary comes from: the base model's tokenizer, one model's, or the union of all. */
public sealed interface TokenizerSource {

    /**
     * The string form: {@code base}, {@code union}, or a model reference (also in the older {@code model:PATH}
     * spelling).
     *
     * @throws EvomergeException a usage error when the model reference is malformed
     */
    static TokenizerSource parse(String text) {
        return switch (text) {
            case "base" -> new Base();
            case "union" -> new Union();
            default -> new Model(ModelReference.parse(text.startsWith("model:") ? text.substring("model:".length())
                    : text));
        };
    }

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
