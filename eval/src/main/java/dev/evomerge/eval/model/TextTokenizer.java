package dev.evomerge.eval.model;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/** The tokenizer operations evaluation needs (the model's tokenizer.json, or a fake in tests). */
public interface TextTokenizer {

    /**
     * Token ids of {@code text}; with {@code addSpecialTokens} the tokenizer's own post-processing applies (a Llama
     * tokenizer prepends BOS), without it none does.
     */
    int[] encode(String text, boolean addSpecialTokens);

    /** Text of {@code ids}, special tokens left out. */
    String decode(int[] ids);

    /** The beginning-of-sequence token, if the tokenizer has one. */
    OptionalInt bosTokenId();

    /** The BOS token's text (e.g. {@code <s>}), to avoid adding it twice when a prompt already starts with it. */
    Optional<String> bosToken();

    /** End-of-sequence ids (generation stops at them); may be empty. */
    List<Integer> eosTokenIds();

    /**
     * The tokenizer keys of lm-eval's results file ({@code tokenizer_pad_token}, {@code tokenizer_eos_token},
     * {@code tokenizer_bos_token} as {@code [text, "id"]}, {@code eot_token_id}); empty where nothing is known.
     */
    default Map<String, Object> resultsInfo() {
        return Map.of();
    }
}
