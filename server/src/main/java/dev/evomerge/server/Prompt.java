package dev.evomerge.server;

/** One prompt of a {@code /v1/completions} request: text to tokenize, or token ids used as they are. */
sealed interface Prompt {

    /** A text prompt, tokenized by the model's tokenizer. */
    record Text(String text) implements Prompt {
    }

    /** Token ids, used without tokenization (what lm-eval's local-completions sends). */
    record Tokens(int[] ids) implements Prompt {
        public Tokens {
            ids = ids.clone();
        }

        @Override
        public int[] ids() {
            return ids.clone();
        }
    }
}
