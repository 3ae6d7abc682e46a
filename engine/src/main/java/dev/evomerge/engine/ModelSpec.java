package dev.evomerge.engine;

import java.util.List;
import java.util.OptionalInt;

/**
 * What a caller needs to know about a loaded model, from its config.json.
 *
 * @param architecture    the {@code architectures[0]} class name, e.g. {@code LlamaForCausalLM}
 * @param vocabSize       number of logits per position
 * @param contextLength   {@code max_position_embeddings}: the longest sequence scored in one window
 * @param bosTokenId      config.json {@code bos_token_id}, if any
 * @param eosTokenIds     config.json {@code eos_token_id} (an int or a list), possibly empty; generation_config.json
 *                        may list more (the tokenizer package reads that)
 */
public record ModelSpec(String architecture, int vocabSize, int hiddenSize, int numLayers, int numHeads,
                        int numKeyValueHeads, int headDim, int intermediateSize, int contextLength,
                        OptionalInt bosTokenId, List<Integer> eosTokenIds, boolean tiedEmbeddings) {

    public ModelSpec {
        eosTokenIds = List.copyOf(eosTokenIds);
    }
}
