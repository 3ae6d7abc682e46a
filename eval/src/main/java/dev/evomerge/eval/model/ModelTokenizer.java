package dev.evomerge.eval.model;

import dev.evomerge.engine.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

    @Override
    public Map<String, Object> resultsInfo() {
        Map<String, Object> m = new LinkedHashMap<>();
        // lm-eval pads with the pad token, else the unknown token, else EOS (configure_pad_token)
        OptionalInt pad = tokenizer.padId().isPresent() ? tokenizer.padId()
                : tokenizer.unkId().isPresent() ? tokenizer.unkId() : tokenizer.eosId();
        m.put("tokenizer_pad_token", pair(pad));
        m.put("tokenizer_eos_token", pair(tokenizer.eosId()));
        m.put("tokenizer_bos_token", pair(tokenizer.bosId()));
        m.put("eot_token_id", tokenizer.eosId().isPresent() ? tokenizer.eosId().getAsInt() : null);
        return m;
    }

    /** {@code [token, str(token_id)]} as lm-eval writes it (Python's str(None) for a missing id). */
    private List<Object> pair(OptionalInt id) {
        return Arrays.asList(id.isPresent() ? tokenizer.idToToken(id.getAsInt()) : null,
                id.isPresent() ? String.valueOf(id.getAsInt()) : "None");
    }
}
