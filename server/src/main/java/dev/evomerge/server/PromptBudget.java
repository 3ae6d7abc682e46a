package dev.evomerge.server;

import dev.evomerge.engine.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * The most text a prompt can hold and still fit the context: no token covers more than {@code bytesPerToken} bytes of
 * UTF-8, so a text longer than {@code contextLength * bytesPerToken} bytes has more tokens than the context holds.
 * Checking this before tokenizing keeps a huge prompt from costing a minute and gigabytes of tokenizer memory only to
 * be refused afterwards.
 *
 * @param bytesPerToken the UTF-8 length of the vocabulary's longest token, at least {@value #MIN_BYTES_PER_TOKEN}
 *                      (a margin for normalizers that shorten text before it is split)
 */
record PromptBudget(int contextLength, int bytesPerToken) {

    static final int MIN_BYTES_PER_TOKEN = 64;

    /** The budget of a tokenizer: its longest vocabulary entry bounds the bytes one token can cover. */
    static PromptBudget of(Tokenizer tokenizer, int contextLength) {
        int longest = 0;
        for (int id = 0; id < tokenizer.vocabSize(); id++) {
            if (tokenizer.hasId(id)) {
                // the vocabulary spelling is never shorter than the text it stands for (Ġ for a space, <0x41> for A)
                longest = Math.max(longest, tokenizer.idToToken(id).getBytes(StandardCharsets.UTF_8).length);
            }
        }
        return new PromptBudget(contextLength, Math.max(MIN_BYTES_PER_TOKEN, longest));
    }

    long maxBytes() {
        return (long) contextLength * bytesPerToken;
    }

    /**
     * Refuses (400 context_length_exceeded) a text that cannot fit the context, before anyone tokenizes it.
     *
     * @param what the text's name in the message, e.g. "The prompt" or "Prompt 2"
     */
    void check(String text, String what, String param) {
        checkAll(java.util.List.of(text), what, param);
    }

    /** As {@link #check}, for texts that all go into one prompt (the messages of a chat). */
    void checkAll(java.util.List<String> texts, String what, String param) {
        long max = maxBytes();
        long chars = 0;
        for (String t : texts) {
            chars += t.length();
        }
        if (chars <= max / 3) {
            return; // a char is at most 3 UTF-8 bytes (a surrogate pair is 4 bytes for 2 chars)
        }
        long bytes = 0;
        if (chars <= max) {
            for (String t : texts) {
                bytes += utf8Length(t);
            }
        }
        if (chars > max || bytes > max) {
            throw ApiException.invalid(what + " has " + (chars > max ? "more than " + max : bytes)
                    + " bytes of text; at " + bytesPerToken + " bytes per token at most, that is more than this model's"
                    + " maximum context length of " + contextLength + " tokens, so it was not tokenized.", param,
                    "context_length_exceeded");
        }
    }

    private static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }
}
