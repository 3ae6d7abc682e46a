package dev.evomerge.engine;

import dev.evomerge.core.tensor.TensorSink;
import dev.evomerge.core.tensor.TensorSource;

import java.util.List;

/**
 * A decoder-only transformer held in memory that scores and generates on token ids (callers tokenize).
 * Computation is float32; calls are serialized internally, so one instance may be shared between threads
 * (each call runs on the model's own worker threads). Obtain one with ModelLoader.load (package load).
 */
public interface CausalLanguageModel extends AutoCloseable {

    /** Dimensions and special ids as read from config.json. */
    ModelSpec spec();

    /**
     * lm-eval {@code loglikelihood}: for each request the summed log-probability of the continuation given the
     * context, and whether every continuation token is the argmax. context+continuation is truncated on the left to
     * {@code spec().contextLength() + 1} tokens as lm-eval's hf backend does. Requests are batched; requests with an
     * equal (truncated) context compute it once and score each continuation from a fork of its KV cache.
     * Results are in request order.
     */
    List<LoglikelihoodResult> logLikelihood(List<LoglikelihoodRequest> requests);

    /**
     * Per-token log-probabilities of whole sequences, what {@code /v1/completions} returns with {@code echo} and
     * {@code logprobs}: see {@link SequenceLogprobs}. Each sequence must fit {@code spec().contextLength()}.
     *
     * @param topN how many most-likely next tokens to list at each position (0 for none)
     */
    List<SequenceLogprobs> tokenLogprobs(List<int[]> sequences, int topN);

    /**
     * lm-eval {@code loglikelihood_rolling} (perplexity): the log-probability of every token of {@code ids}, the
     * first one conditioned on {@code prefixTokenId} (BOS, or EOS when there is no BOS). Sequences longer than
     * {@code maxLength} are scored in lm-eval's disjoint rolling windows of {@code maxLength} tokens.
     */
    RollingLoglikelihood loglikelihoodRolling(int[] ids, int prefixTokenId, int maxLength);

    /** {@link #loglikelihoodRolling(int[], int, int)} with windows of {@code spec().contextLength()} tokens. */
    default RollingLoglikelihood loglikelihoodRolling(int[] ids, int prefixTokenId) {
        return loglikelihoodRolling(ids, prefixTokenId, spec().contextLength());
    }

    /**
     * Generates continuations of several prompts, decoding them together (one batched forward pass per step) with a
     * KV cache each. Results are in request order.
     */
    List<Generation> generate(List<GenerationRequest> requests);

    /** One generation; see {@link #generate(List)}. */
    default Generation generate(GenerationRequest request) {
        return generate(List.of(request)).getFirst();
    }

    /**
     * The resident weights as a sink, under their Hugging Face names ({@code model.layers.3.mlp.up_proj.weight}):
     * {@code accept} overwrites that weight in place, converting from the tensor's dtype to the model's storage
     * (shapes must match the config); {@code commit} checks nothing is half-written and is otherwise a no-op;
     * {@code close} does nothing (writes are not undone). For a tied model {@code lm_head.weight} is not a weight;
     * write {@code model.embed_tokens.weight}. Layer names follow the current layer sequence ({@link #layers()}),
     * so writing to a re-pointed layer writes into the layer it points at.
     */
    TensorSink weightSink();

    /**
     * The resident weights as a source under their Hugging Face names; each {@code tensor(name)} returns a new
     * float32 (or bf16 with {@link WeightStorage#BFLOAT16}) copy in the checkpoint's layout.
     */
    TensorSource weightSource();

    /** The current layer sequence: entry i is the decoder layer that runs i-th. Initially this model's own layers. */
    List<LayerPointer> layers();

    /**
     * Re-points the layer sequence (for data-flow-space merges): output layer i runs {@code layers.get(i)}, a layer
     * of this model or of another loaded model with the same hidden size, head layout, head_dim, intermediate size
     * and architecture. The count may differ from the config's. Layers are shared, not copied: the source model must
     * stay open while this one uses them. The residual stream entering output layer i is multiplied by its pointer's
     * {@link LayerPointer#inputScale()} (finite and greater than 0) in every call: scoring, generation and cached
     * contexts alike. Each output position has its own KV cache entry, so a layer listed twice attends over its two
     * positions' keys separately. Sliding-window and other per-layer settings follow the output position.
     */
    void setLayers(List<LayerPointer> layers);

    /** Stops the worker threads and releases the weights. */
    @Override
    void close();
}
