package dev.evomerge.core.model;

import dev.evomerge.core.io.PythonJson;
import dev.evomerge.core.io.AtomicFile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.JsonInput;
import dev.evomerge.core.io.Reasons;
import dev.evomerge.core.tensor.DType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A model's config.json: the whole JSON tree (unknown keys and key order kept, so a rewrite changes only what a
 * merge sets) with typed getters for the keys evomerge reads. Immutable; the {@code with...} methods return a
 * changed copy.
 */
public final class ModelConfig {

    /** The key transformers uses when an architecture names no other layer-count key. */
    public static final String DEFAULT_LAYER_COUNT_KEY = "num_hidden_layers";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ObjectNode json;
    private final String source;

    private ModelConfig(ObjectNode json, String source) {
        this.json = json;
        this.source = source;
    }

    /** Reads config.json; a missing file or malformed JSON is a usage error naming the file. */
    public static ModelConfig read(Path file) {
        return parse(dev.evomerge.core.io.TextFiles.readUtf8(file, "Config file"), file.toString());
    }

    /** Parses config JSON text; source names it in error messages (usually the file path). */
    public static ModelConfig parse(String text, String source) {
        JsonNode node;
        try {
            node = JsonInput.readTree(JSON, text);
        } catch (IOException e) { // only parse errors: the text is in memory
            throw EvomergeException.usage("Config " + source + " is not valid JSON: " + Reasons.of(e) + ".", e);
        }
        if (!(node instanceof ObjectNode object)) {
            throw EvomergeException.usage("Config " + source + " must be a JSON object.");
        }
        return new ModelConfig(object, source);
    }

    /** A config from a JSON tree (copied). */
    public static ModelConfig of(ObjectNode json, String source) {
        return new ModelConfig(json.deepCopy(), source);
    }

    /** A copy of the whole JSON tree. */
    public ObjectNode json() {
        return json.deepCopy();
    }

    /** Where the config came from, for messages. */
    public String source() {
        return source;
    }

    /** The raw value of a key, empty when absent (a JSON null is returned as a NullNode). */
    public Optional<JsonNode> get(String key) {
        return Optional.ofNullable(json.get(key)).map(JsonNode::deepCopy);
    }

    public boolean has(String key) {
        return json.has(key) && !json.get(key).isNull();
    }

    /** The "architectures" list (Hugging Face class names); empty if absent. */
    public List<String> architectures() {
        JsonNode a = json.get("architectures");
        List<String> out = new ArrayList<>();
        if (a != null && a.isArray()) {
            a.forEach(n -> out.add(n.asText()));
        }
        return List.copyOf(out);
    }

    /** architectures[0], the class transformers instantiates. */
    public String architecture() {
        List<String> a = architectures();
        if (a.isEmpty()) {
            throw EvomergeException.usage("Config " + source + " has no 'architectures' list.");
        }
        return a.getFirst();
    }

    public String modelType() {
        return requireText("model_type");
    }

    /** Number of transformer layers, read from the architecture's layer-count key. */
    public int numLayers() {
        return requireInt(layerCountKey());
    }

    /**
     * The key holding the layer count: the known architecture's key, else num_hidden_layers when present.
     * Throws when neither applies, because guessing another key could silently miscount.
     */
    public String layerCountKey() {
        Optional<String> key = Architectures.builtIn().find(this).flatMap(ArchitectureTemplate::numLayersConfigKey);
        if (key.isPresent()) {
            return key.get();
        }
        if (json.has(DEFAULT_LAYER_COUNT_KEY)) {
            return DEFAULT_LAYER_COUNT_KEY;
        }
        throw EvomergeException.usage("Config " + source + " has no layer count: its architecture "
                + architectures() + " is not known and it has no '" + DEFAULT_LAYER_COUNT_KEY + "'.");
    }

    public int hiddenSize() {
        return requireInt("hidden_size");
    }

    public int vocabSize() {
        return requireInt("vocab_size");
    }

    public int numAttentionHeads() {
        return requireInt("num_attention_heads");
    }

    /** num_key_value_heads, or num_attention_heads when absent or null (transformers' rule: no GQA). */
    public int numKeyValueHeads() {
        return has("num_key_value_heads") ? requireInt("num_key_value_heads") : numAttentionHeads();
    }

    /** head_dim when present and not null, else hidden_size / num_attention_heads. */
    public int headDim() {
        return has("head_dim") ? requireInt("head_dim") : hiddenSize() / numAttentionHeads();
    }

    public int intermediateSize() {
        return requireInt("intermediate_size");
    }

    /**
     * tie_word_embeddings; when absent, true: save_pretrained omits the key only when it equals both the
     * PretrainedConfig default (true) and the model class default.
     */
    public boolean tieWordEmbeddings() {
        if (!has("tie_word_embeddings")) {
            return true;
        }
        JsonNode n = json.get("tie_word_embeddings");
        if (!n.isBoolean()) {
            throw mustBe("tie_word_embeddings", "true or false", n);
        }
        return n.booleanValue();
    }

    /** torch_dtype (or "dtype", its name since transformers 4.56); empty when absent or null. */
    public Optional<DType> torchDtype() {
        for (String key : List.of("torch_dtype", "dtype")) {
            if (has(key)) {
                return Optional.of(DType.parse(requireText(key)));
            }
        }
        return Optional.empty();
    }

    /** rope_theta; 10000.0 (transformers' Llama default) when absent. */
    public double ropeTheta() {
        return has("rope_theta") ? requireNumber("rope_theta") : 10000.0;
    }

    /** rms_norm_eps; 1e-6 (transformers' Llama default) when absent. */
    public double rmsNormEps() {
        return has("rms_norm_eps") ? requireNumber("rms_norm_eps") : 1e-6;
    }

    /** hidden_act; "silu" when absent. */
    public String hiddenAct() {
        return has("hidden_act") ? requireText("hidden_act") : "silu";
    }

    public OptionalInt maxPositionEmbeddings() {
        return optionalInt("max_position_embeddings");
    }

    /** The rope_scaling object; empty when absent or null. */
    public Optional<ObjectNode> ropeScaling() {
        if (!has("rope_scaling")) {
            return Optional.empty();
        }
        JsonNode n = json.get("rope_scaling");
        if (!(n instanceof ObjectNode o)) {
            throw mustBe("rope_scaling", "an object or null", n);
        }
        return Optional.of(o.deepCopy());
    }

    public OptionalInt bosTokenId() {
        return optionalInt("bos_token_id");
    }

    /** eos_token_id as a list (configs store a single id or a list of ids); empty when absent. */
    public List<Integer> eosTokenIds() {
        if (!has("eos_token_id")) {
            return List.of();
        }
        JsonNode n = json.get("eos_token_id");
        List<Integer> ids = new ArrayList<>();
        if (n.isArray()) {
            n.forEach(e -> ids.add(intOf("eos_token_id", e)));
        } else {
            ids.add(intOf("eos_token_id", n));
        }
        return List.copyOf(ids);
    }

    /** An integer key, empty when absent or null; a non-integer value is a usage error. */
    public OptionalInt optionalInt(String key) {
        return has(key) ? OptionalInt.of(requireInt(key)) : OptionalInt.empty();
    }

    /** An integer key that must be present. */
    public int requireInt(String key) {
        if (!has(key)) {
            throw EvomergeException.usage("Config " + source + " has no '" + key + "'.");
        }
        return intOf(key, json.get(key));
    }

    private int intOf(String key, JsonNode n) {
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw mustBe(key, "an integer", n);
        }
        return n.intValue();
    }

    private double requireNumber(String key) {
        JsonNode n = json.get(key);
        if (n == null || !n.isNumber()) {
            throw mustBe(key, "a number", n);
        }
        return n.doubleValue();
    }

    private String requireText(String key) {
        JsonNode n = json.get(key);
        if (n == null) {
            throw EvomergeException.usage("Config " + source + " has no '" + key + "'.");
        }
        if (!n.isTextual()) {
            throw mustBe(key, "a string", n);
        }
        return n.textValue();
    }

    /** The usage error for a key whose value has the wrong type: "Config F: 'key' must be WHAT, found VALUE." */
    private EvomergeException mustBe(String key, String what, JsonNode found) {
        return EvomergeException.usage("Config " + source + ": '" + key + "' must be " + what + ", found " + found
                + ".");
    }

    /** A copy with one key set (added at the end when new, replaced in place when present). */
    public ModelConfig with(String key, JsonNode value) {
        ObjectNode copy = json.deepCopy();
        copy.set(key, value == null ? JsonNodeFactory.instance.nullNode() : value.deepCopy());
        return new ModelConfig(copy, source);
    }

    /** A copy with torch_dtype set (and "dtype" too when the config uses the newer key). */
    public ModelConfig withTorchDtype(DType dtype) {
        ObjectNode copy = json.deepCopy();
        if (copy.has("dtype") && !copy.has("torch_dtype")) {
            copy.set("dtype", TextNode.valueOf(dtype.torchName()));
        } else {
            copy.set("torch_dtype", TextNode.valueOf(dtype.torchName()));
        }
        return new ModelConfig(copy, source);
    }

    /** A copy with the layer count set under the architecture's layer-count key. */
    public ModelConfig withNumLayers(int layers) {
        return with(layerCountKey(), IntNode.valueOf(layers));
    }

    public ModelConfig withVocabSize(int vocabSize) {
        return with("vocab_size", IntNode.valueOf(vocabSize));
    }

    /** The JSON text save_pretrained would write for this tree: 2-space indent, trailing newline. */
    public String toJson() {
        return PythonJson.document(json, true);
    }

    /** Writes config.json through a temporary sibling file renamed into place. */
    public void write(Path file) {
        AtomicFile.write(file, toJson().getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelConfig c && c.json.equals(json);
    }

    @Override
    public int hashCode() {
        return json.hashCode();
    }

    @Override
    public String toString() {
        return "ModelConfig[" + source + "]";
    }
}
