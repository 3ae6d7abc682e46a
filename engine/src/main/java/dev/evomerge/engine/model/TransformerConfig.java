package dev.evomerge.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.model.ModelConfig;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The immutable facts of a decoder model that the forward pass needs, read and checked from config.json.
 *
 * @param slidingWindows per layer: attend only to the last {@code window} positions, 0 for full attention
 */
public record TransformerConfig(Architecture architecture, int vocabSize, int hiddenSize, int numLayers,
                                int numHeads, int numKvHeads, int headDim, int intermediateSize, double rmsNormEps,
                                double ropeTheta, RopeScaling ropeScaling, int contextLength,
                                boolean tiedEmbeddings, boolean qkvBias, boolean oBias, boolean mlpBias,
                                boolean qkNorm, int[] slidingWindows, OptionalInt bosTokenId,
                                List<Integer> eosTokenIds) {

    /** lm-eval's max_length when a config names no context length. */
    public static final int DEFAULT_CONTEXT_LENGTH = 2048;

    public TransformerConfig {
        slidingWindows = slidingWindows.clone();
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    @Override
    public int[] slidingWindows() {
        return slidingWindows.clone();
    }

    /** Sliding window of layer {@code layer} (0 = full attention); layers beyond the config's count use the last. */
    public int slidingWindow(int layer) {
        return slidingWindows[Math.min(layer, slidingWindows.length - 1)];
    }

    public int qDim() {
        return numHeads * headDim;
    }

    public int kvDim() {
        return numKvHeads * headDim;
    }

    /** Reads and validates config.json; every problem is a usage error naming the key. */
    public static TransformerConfig from(ModelConfig c) {
        String src = c.source();
        Architecture arch = Architecture.of(c.architecture(), src);
        String act = c.hiddenAct();
        if (!act.equals("silu")) {
            throw EvomergeException.usage("Config " + src + ": hidden_act '" + act
                    + "' is not supported by the engine (only silu).");
        }
        int hidden = positive(c, "hidden_size", c.hiddenSize());
        int heads = positive(c, "num_attention_heads", c.numAttentionHeads());
        int kvHeads = positive(c, "num_key_value_heads", c.numKeyValueHeads());
        int layers = positive(c, "num_hidden_layers", c.requireInt("num_hidden_layers"));
        int headDim = positive(c, "head_dim", c.headDim());
        if (heads % kvHeads != 0) {
            throw EvomergeException.usage("Config " + src + ": num_attention_heads (" + heads
                    + ") must be a multiple of num_key_value_heads (" + kvHeads + ").");
        }
        if (headDim % 2 != 0) {
            throw EvomergeException.usage("Config " + src + ": head_dim (" + headDim
                    + ") must be even for rotary embeddings.");
        }
        if (c.has("partial_rotary_factor") && c.get("partial_rotary_factor").orElseThrow().asDouble() != 1.0) {
            throw EvomergeException.usage("Config " + src + ": partial_rotary_factor other than 1 is not supported.");
        }
        Optional<JsonNode> ropeParams = c.get("rope_parameters").filter(JsonNode::isObject);
        double theta = c.has("rope_theta") ? c.ropeTheta()
                : ropeParams.map(p -> p.path("rope_theta").asDouble(10000.0)).orElse(10000.0);
        JsonNode scaling = c.ropeScaling().map(n -> (JsonNode) n).orElse(ropeParams.orElse(null));
        RopeScaling rope = ropeScaling(scaling, src);
        int context = c.maxPositionEmbeddings().orElse(DEFAULT_CONTEXT_LENGTH);
        boolean tied = c.tieWordEmbeddings();
        boolean attentionBias = bool(c, "attention_bias");
        boolean qkvBias = switch (arch) {
            case QWEN2 -> true;
            case LLAMA, QWEN3 -> attentionBias;
            case MISTRAL -> false;
        };
        boolean oBias = arch != Architecture.QWEN2 && arch != Architecture.MISTRAL && attentionBias;
        boolean mlpBias = arch == Architecture.LLAMA && bool(c, "mlp_bias");
        int[] windows = slidingWindows(c, arch, layers);
        int vocab = positive(c, "vocab_size", c.vocabSize());
        int inter = positive(c, "intermediate_size", c.intermediateSize());
        // Each packed matrix is one Java array (rows padded to a panel of 48), so it must stay below 2^31 elements.
        long pad = 48;
        long largest = Math.max(Math.max((vocab + pad) * hidden, (2L * inter + pad) * hidden),
                Math.max(((long) (heads + 2 * kvHeads) * headDim + pad) * hidden,
                        Math.max((hidden + pad) * (long) heads * headDim, (hidden + pad) * (long) inter)));
        if (largest > Integer.MAX_VALUE - 16) {
            throw EvomergeException.usage("Config " + src + ": a weight matrix of this model has more than 2^31"
                    + " elements, more than the engine can hold in one array.");
        }
        return new TransformerConfig(arch, vocab, hidden, layers, heads, kvHeads, headDim, inter, c.rmsNormEps(),
                theta, rope, context,
                tied, qkvBias, oBias, mlpBias, arch == Architecture.QWEN3, windows, c.bosTokenId(), c.eosTokenIds());
    }

    private static int[] slidingWindows(ModelConfig c, Architecture arch, int layers) {
        int[] w = new int[layers];
        OptionalInt window = c.optionalInt("sliding_window");
        if (window.isEmpty()) {
            return w;
        }
        if (window.getAsInt() < 1) {
            throw EvomergeException.usage("Config " + c.source() + ": sliding_window must be positive or null.");
        }
        JsonNode types = c.get("layer_types").orElse(null);
        if (types != null && types.isArray()) {
            if (types.size() != layers) {
                throw EvomergeException.usage("Config " + c.source() + ": layer_types has " + types.size()
                        + " entries for " + layers + " layers.");
            }
            for (int i = 0; i < layers; i++) {
                w[i] = "sliding_attention".equals(types.get(i).asText()) ? window.getAsInt() : 0;
            }
            return w;
        }
        switch (arch) {
            case MISTRAL -> java.util.Arrays.fill(w, window.getAsInt());
            case QWEN2, QWEN3 -> {
                // transformers: sliding attention only with use_sliding_window, from layer max_window_layers on
                if (bool(c, "use_sliding_window")) {
                    int from = c.optionalInt("max_window_layers").orElse(layers);
                    for (int i = from; i < layers; i++) {
                        w[i] = window.getAsInt();
                    }
                }
            }
            case LLAMA -> {
                // Llama has no sliding window; a stray key is ignored by transformers too.
            }
        }
        return w;
    }

    private static RopeScaling ropeScaling(JsonNode s, String src) {
        if (s == null || s.isNull()) {
            return new RopeScaling.None();
        }
        String type = s.hasNonNull("rope_type") ? s.get("rope_type").asText()
                : s.hasNonNull("type") ? s.get("type").asText() : "default";
        return switch (type) {
            case "default" -> new RopeScaling.None();
            case "linear" -> new RopeScaling.Linear(number(s, "factor", src));
            case "llama3" -> new RopeScaling.Llama3(number(s, "factor", src), number(s, "low_freq_factor", src),
                    number(s, "high_freq_factor", src), (int) number(s, "original_max_position_embeddings", src));
            default -> throw EvomergeException.usage("Config " + src + ": rope_scaling type '" + type
                    + "' is not supported by the engine; supported: none (default), linear, llama3.");
        };
    }

    private static double number(JsonNode s, String key, String src) {
        JsonNode n = s.get(key);
        if (n == null || !n.isNumber()) {
            throw EvomergeException.usage("Config " + src + ": rope_scaling needs a number '" + key + "'.");
        }
        return n.doubleValue();
    }

    private static boolean bool(ModelConfig c, String key) {
        return c.get(key).map(JsonNode::asBoolean).orElse(false);
    }

    private static int positive(ModelConfig c, String key, int value) {
        if (value < 1) {
            throw EvomergeException.usage("Config " + c.source() + ": '" + key + "' must be positive, found "
                    + value + ".");
        }
        return value;
    }
}
