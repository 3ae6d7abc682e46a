package dev.evomerge.merge.vocab;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.core.model.ModelConfig;
import dev.evomerge.core.safetensors.SafetensorsModel;
import dev.evomerge.core.safetensors.SafetensorsWriter;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Tiny llama models with hand-written WordLevel vocabularies whose embedding rows say which model and token they
 * belong to: row of token t in model m, column h = {@code 100 m + code(t) + h/100}.
 */
final class VocabModels {

    /** Every token any test model uses; code(t) is the index here. */
    static final List<String> ALL = List.of("<unk>", "a", "b", "c", "d", "e", "f", "g", "h", "<|im_start|>",
            "<UNUSED>", "<x>");

    private static final ObjectMapper JSON = new ObjectMapper();

    private VocabModels() {
    }

    static double value(int model, String token, int h) {
        return 100.0 * model + ALL.indexOf(token) + h / 100.0;
    }

    /**
     * Writes a model: {@code template}'s weights and config with embeddings for {@code tokens} (ids in order),
     * config vocab_size {@code configVocab}, and {@code added} tokens (contents in {@code tokens}) marked as added.
     */
    static Path write(Path template, Path out, int model, List<String> tokens, int configVocab, List<String> added) {
        try {
            Files.createDirectories(out);
            ModelConfig cfg = ModelConfig.read(template.resolve("config.json")).withVocabSize(configVocab);
            cfg.write(out.resolve("config.json"));
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            int hidden;
            try (SafetensorsModel m = SafetensorsModel.open(template)) {
                hidden = (int) m.tensor("model.embed_tokens.weight").shape().dim(1);
                for (String name : m.tensorNames()) {
                    if (name.equals("model.embed_tokens.weight") || name.equals("lm_head.weight")) {
                        Tensor e = Tensor.allocate(DType.F32, Shape.of(tokens.size(), hidden));
                        for (int r = 0; r < tokens.size(); r++) {
                            for (int h = 0; h < hidden; h++) {
                                e.setDouble((long) r * hidden + h, value(model, tokens.get(r), h));
                            }
                        }
                        tensors.put(name, e);
                    } else {
                        Tensor src = m.tensor(name);
                        Tensor copy = Tensor.allocate(src.dtype(), src.shape());
                        copy.data().copyFrom(src.data());
                        tensors.put(name, copy);
                    }
                }
            }
            SafetensorsWriter.writeFile(out.resolve("model.safetensors"), tensors);
            ObjectNode tok = JSON.createObjectNode();
            tok.put("version", "1.0");
            ArrayNode addedTokens = tok.putArray("added_tokens");
            ObjectNode wordLevel = tok.putObject("model");
            wordLevel.put("type", "WordLevel");
            wordLevel.put("unk_token", "<unk>");
            ObjectNode vocab = wordLevel.putObject("vocab");
            for (int i = 0; i < tokens.size(); i++) {
                String t = tokens.get(i);
                if (added.contains(t)) {
                    ObjectNode a = addedTokens.addObject();
                    a.put("id", i);
                    a.put("content", t);
                    a.put("single_word", false);
                    a.put("lstrip", false);
                    a.put("rstrip", false);
                    a.put("normalized", false);
                    a.put("special", true);
                } else {
                    vocab.put(t, i);
                }
            }
            JSON.writeValue(out.resolve("tokenizer.json").toFile(), tok);
            ObjectNode tc = JSON.createObjectNode();
            tc.put("tokenizer_class", "PreTrainedTokenizerFast");
            tc.put("chat_template", "{% for m in messages %}model" + model + "{{ m['content'] }}{% endfor %}");
            JSON.writeValue(out.resolve("tokenizer_config.json").toFile(), tc);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
