package dev.evomerge.core.synth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.Reasons;
import dev.evomerge.core.io.PythonJson;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The JSON files of a synthetic Hugging Face model directory, with the keys and layout transformers 4.51's
 * save_pretrained writes (sorted keys, two-space indent): config.json, generation_config.json, tokenizer_config.json
 * and special_tokens_map.json.
 */
public final class HfModelFiles {

    /** The transformers release whose config classes the files follow (the first with Qwen3). */
    public static final String TRANSFORMERS_VERSION = "4.51.3";
    public static final int MAX_POSITION_EMBEDDINGS = 2048;
    /** The llama3 rope scaling written by --rope-scaling llama3: factor 8 over a 512-token original window. */
    public static final int LLAMA3_ORIGINAL_MAX_POSITIONS = 512;
    public static final double LLAMA3_FACTOR = 8.0;
    public static final double LLAMA3_ROPE_THETA = 500000.0;

    /**
     * A plain-text chat format with one "Role: content" line per message and eos after assistant turns. It uses
     * only what Llama-style templates use ({@code bos_token}, loops, if/elif, string {@code +}, {@code '\n'}) and
     * keeps newlines inside expressions, so trim_blocks/lstrip_blocks settings do not change the output.
     */
    public static final String CHAT_TEMPLATE = "{{ bos_token }}{% for message in messages %}"
            + "{% if message['role'] == 'system' %}{{ 'System: ' + message['content'] + '\\n' }}"
            + "{% elif message['role'] == 'user' %}{{ 'User: ' + message['content'] + '\\n' }}"
            + "{% elif message['role'] == 'assistant' %}{{ 'Assistant: ' + message['content'] + eos_token + '\\n' }}"
            + "{% endif %}{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}";

    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private HfModelFiles() {
    }

    /** config.json for the spec, keys sorted as save_pretrained writes them. */
    public static ObjectNode config(SynthModelSpec spec) {
        SynthArch.Facts facts = spec.arch().facts();
        ObjectNode c = F.objectNode();
        c.putArray("architectures").add(facts.className());
        c.put("attention_dropout", 0.0);
        c.put("bos_token_id", ByteLevelBpe.BOS_ID);
        c.put("eos_token_id", ByteLevelBpe.EOS_ID);
        c.put("hidden_act", "silu");
        c.put("hidden_size", spec.hiddenSize());
        c.put("initializer_range", 0.02);
        c.put("intermediate_size", spec.intermediateSize());
        c.put("max_position_embeddings", spec.llama3RopeScaling()
                ? (int) (LLAMA3_ORIGINAL_MAX_POSITIONS * LLAMA3_FACTOR) : MAX_POSITION_EMBEDDINGS);
        c.put("model_type", facts.modelType());
        c.put("num_attention_heads", spec.numHeads());
        c.put("num_hidden_layers", spec.numLayers());
        c.put("num_key_value_heads", spec.numKvHeads());
        c.put("rms_norm_eps", facts.rmsNormEps());
        c.put("rope_theta", spec.llama3RopeScaling() ? LLAMA3_ROPE_THETA : facts.ropeTheta());
        c.put("tie_word_embeddings", spec.tieEmbeddings());
        c.put("torch_dtype", spec.dtype().torchName());
        c.put("transformers_version", TRANSFORMERS_VERSION);
        c.put("use_cache", true);
        c.put("vocab_size", spec.vocabSize());
        if (facts.hasRopeScaling()) {
            if (spec.llama3RopeScaling()) {
                ObjectNode r = c.putObject("rope_scaling");
                r.put("factor", LLAMA3_FACTOR);
                r.put("high_freq_factor", 4.0);
                r.put("low_freq_factor", 1.0);
                r.put("original_max_position_embeddings", LLAMA3_ORIGINAL_MAX_POSITIONS);
                r.put("rope_type", "llama3");
            } else {
                c.putNull("rope_scaling");
            }
        }
        switch (spec.arch()) {
            case LLAMA -> {
                c.put("attention_bias", false);
                c.put("head_dim", spec.headDim());
                c.put("mlp_bias", false);
                c.put("pretraining_tp", 1);
            }
            case MISTRAL -> {
                c.put("head_dim", spec.headDim());
                c.putNull("sliding_window");
            }
            case QWEN2 -> {
                c.put("max_window_layers", spec.numLayers());
                c.putNull("sliding_window");
                c.put("use_sliding_window", false);
            }
            case QWEN3 -> {
                c.put("attention_bias", false);
                c.put("head_dim", spec.headDim());
                c.put("max_window_layers", spec.numLayers());
                c.putNull("sliding_window");
                c.put("use_sliding_window", false);
            }
        }
        return sorted(c);
    }

    /** generation_config.json as GenerationConfig.from_model_config writes it. */
    public static ObjectNode generationConfig() {
        ObjectNode g = F.objectNode();
        g.put("_from_model_config", true);
        g.put("bos_token_id", ByteLevelBpe.BOS_ID);
        g.put("eos_token_id", ByteLevelBpe.EOS_ID);
        g.put("transformers_version", TRANSFORMERS_VERSION);
        return g;
    }

    /** tokenizer_config.json for a PreTrainedTokenizerFast over the synthetic tokenizer.json. */
    public static ObjectNode tokenizerConfig(int modelMaxLength) {
        ObjectNode t = F.objectNode();
        t.put("add_bos_token", true);
        t.put("add_eos_token", false);
        ObjectNode decoder = t.putObject("added_tokens_decoder");
        List<String> specials = List.of(ByteLevelBpe.UNK, ByteLevelBpe.BOS, ByteLevelBpe.EOS);
        for (int id = 0; id < specials.size(); id++) {
            ObjectNode d = decoder.putObject(Integer.toString(id));
            d.put("content", specials.get(id));
            d.put("lstrip", false);
            d.put("normalized", false);
            d.put("rstrip", false);
            d.put("single_word", false);
            d.put("special", true);
        }
        t.put("bos_token", ByteLevelBpe.BOS);
        t.put("chat_template", CHAT_TEMPLATE);
        t.put("clean_up_tokenization_spaces", false);
        t.put("eos_token", ByteLevelBpe.EOS);
        t.putObject("extra_special_tokens");
        t.put("model_max_length", modelMaxLength);
        t.put("pad_token", ByteLevelBpe.EOS);
        t.put("tokenizer_class", "PreTrainedTokenizerFast");
        t.put("unk_token", ByteLevelBpe.UNK);
        return t;
    }

    public static ObjectNode specialTokensMap() {
        ObjectNode s = F.objectNode();
        s.put("bos_token", ByteLevelBpe.BOS);
        s.put("eos_token", ByteLevelBpe.EOS);
        s.put("pad_token", ByteLevelBpe.EOS);
        s.put("unk_token", ByteLevelBpe.UNK);
        return s;
    }

    /** A copy of the object with keys sorted at every level, like json.dumps(sort_keys=True). */
    public static ObjectNode sorted(ObjectNode node) {
        List<String> keys = new ArrayList<>();
        node.fieldNames().forEachRemaining(keys::add);
        Collections.sort(keys);
        ObjectNode out = F.objectNode();
        for (String k : keys) {
            JsonNode v = node.get(k);
            out.set(k, v instanceof ObjectNode o ? sorted(o) : v.deepCopy());
        }
        return out;
    }

    /** Writes a JSON file as Python's json.dumps(indent=2) plus a newline. */
    public static void write(Path file, JsonNode node, boolean ensureAscii) {
        try {
            Files.writeString(file, PythonJson.document(node, ensureAscii), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw EvomergeException.runtime("Cannot write " + file + ": " + Reasons.of(e), e);
        }
    }
}
