package dev.evomerge.eval.model;

import dev.evomerge.engine.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/** A model directory's Hugging Face tokenizer seen as a {@link TextTokenizer}. */
public record ModelTokenizer(Tokenizer tokenizer) implements TextTokenizer {

    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        return tokenizer.encode(text, addSpecialTokens);
    }

    @Override
    public String decode(int[] ids) {
        return tokenizer.decode(ids, true);
    }

    @Override
    public OptionalInt bosTokenId() {
        return tokenizer.bosId();
    }

    @Override
    public Optional<String> bosToken() {
        return tokenizer.bosToken();
    }

    @Override
    public List<Integer> eosTokenIds() {
        return Arrays.stream(tokenizer.eosIds()).boxed().toList();
    }
}
