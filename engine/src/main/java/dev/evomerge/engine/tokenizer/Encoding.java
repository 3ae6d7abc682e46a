package dev.evomerge.engine.tokenizer;

import java.util.Arrays;

/**
 * A text's tokens with where each came from.
 *
 * @param ids    token ids
 * @param tokens the vocabulary strings of the ids (byte-level tokens look like {@code Ġworld})
 * @param starts start of each token in the text, in Unicode code points (Python's {@code str} indices, which
 *               is what Hugging Face offsets and OpenAI's {@code text_offset} count); 0 for added special tokens
 * @param ends   end (exclusive) of each token, in code points; equal to the start for added special tokens
 */
public record Encoding(int[] ids, String[] tokens, int[] starts, int[] ends) {

    public Encoding {
        if (tokens.length != ids.length || starts.length != ids.length || ends.length != ids.length) {
            throw new IllegalArgumentException("ids, tokens and offsets must have the same length");
        }
        ids = ids.clone();
        tokens = tokens.clone();
        starts = starts.clone();
        ends = ends.clone();
    }

    @Override
    public int[] ids() {
        return ids.clone();
    }

    @Override
    public String[] tokens() {
        return tokens.clone();
    }

    @Override
    public int[] starts() {
        return starts.clone();
    }

    @Override
    public int[] ends() {
        return ends.clone();
    }

    public int size() {
        return ids.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Encoding e && Arrays.equals(ids, e.ids) && Arrays.equals(tokens, e.tokens)
                && Arrays.equals(starts, e.starts) && Arrays.equals(ends, e.ends);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(ids);
    }

    @Override
    public String toString() {
        return "Encoding" + Arrays.toString(tokens);
    }
}
