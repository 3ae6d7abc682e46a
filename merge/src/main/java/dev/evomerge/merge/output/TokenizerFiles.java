package dev.evomerge.merge.output;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.model.ModelDirectory;
import dev.evomerge.merge.config.ChatTemplates;
import dev.evomerge.merge.config.ModelReference;
import dev.evomerge.merge.plan.MergePlan;
import dev.evomerge.merge.vocab.VocabularyPlan;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The tokenizer files of a merged model. With a tokenizer config the built vocabulary is written (tokenizer.json,
 * tokenizer_config.json with its added tokens updated, special_tokens_map.json, generation_config.json); otherwise,
 * with {@code --copy-tokenizer}, the donor's tokenizer files are copied. A {@code chat_template} is written into
 * tokenizer_config.json (and any copied chat_template.jinja/json, which would override it, is left out).
 */
public final class TokenizerFiles {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONFIG = "tokenizer_config.json";
    private static final List<String> TEMPLATE_FILES = List.of("chat_template.jinja", "chat_template.json");

    private TokenizerFiles() {
    }

    /** Writes the tokenizer files of {@code plan} into {@code out}; problems with optional files are warnings. */
    public static void write(MergePlan plan, Path out, boolean copyTokenizer, Consumer<String> warnings) {
        String template = chatTemplate(plan, warnings);
        VocabularyPlan vocab = plan.vocabulary();
        if (vocab != null) {
            Path tokDir = plan.models().get(vocab.tokenizerDonor()).directory();
            writeJson(out.resolve("tokenizer.json"), vocab.tokenizerJson());
            ObjectNode cfg = readObject(tokDir.resolve(CONFIG), warnings);
            if (cfg == null) {
                cfg = JSON.createObjectNode();
            }
            cfg.set("added_tokens_decoder", addedTokensDecoder(vocab.tokenizerJson()));
            if (template != null) {
                cfg.put("chat_template", template);
            }
            writeJson(out.resolve(CONFIG), cfg);
            copyIfPresent(tokDir.resolve("special_tokens_map.json"), out);
            copyIfPresent(plan.donor().directory().resolve("generation_config.json"), out);
            return;
        }
        if (!copyTokenizer) {
            return;
        }
        Path donor = plan.donor().directory();
        for (String name : ModelDirectory.AUXILIARY_FILES) {
            if (template != null && TEMPLATE_FILES.contains(name)) {
                continue;
            }
            copyIfPresent(donor.resolve(name), out);
        }
        if (template != null) {
            Path cfgFile = out.resolve(CONFIG);
            ObjectNode cfg = Files.exists(cfgFile) ? readObject(cfgFile, warnings) : JSON.createObjectNode();
            if (cfg != null) {
                cfg.put("chat_template", template);
                writeJson(cfgFile, cfg);
            }
        }
    }

    /** The template text to write: a built-in's, a literal, the most common among inputs for "auto", or null. */
    static String chatTemplate(MergePlan plan, Consumer<String> warnings) {
        String value = plan.config().chatTemplate();
        if (value == null) {
            return null;
        }
        if (!value.equals(ChatTemplates.AUTO)) {
            String builtIn = ChatTemplates.builtIn(value);
            return builtIn != null ? builtIn : value;
        }
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (ModelReference r : plan.config().referencedModels()) {
            String t = modelTemplate(plan.models().get(r).directory(), warnings);
            if (t != null) {
                counts.merge(t.strip(), 1, Integer::sum);
            }
        }
        String best = null;
        int bestCount = 0;
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            if (e.getValue() > bestCount) {
                best = e.getKey();
                bestCount = e.getValue();
            }
        }
        if (best == null) {
            warnings.accept("chat_template: auto found no chat template in any input model; none is set.");
        }
        return best;
    }

    private static String modelTemplate(Path dir, Consumer<String> warnings) {
        Path jinja = dir.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinja)) {
            try {
                return Files.readString(jinja, StandardCharsets.UTF_8);
            } catch (IOException e) {
                warnings.accept("Cannot read " + jinja + ": " + e.getMessage());
            }
        }
        Path cfg = dir.resolve(CONFIG);
        if (Files.isRegularFile(cfg)) {
            ObjectNode o = readObject(cfg, warnings);
            if (o != null && o.get("chat_template") != null && o.get("chat_template").isTextual()) {
                return o.get("chat_template").asText();
            }
        }
        return null;
    }

    private static ObjectNode addedTokensDecoder(ObjectNode tokenizerJson) {
        ObjectNode dec = JSON.createObjectNode();
        List<JsonNode> added = new ArrayList<>();
        tokenizerJson.path("added_tokens").forEach(added::add);
        added.sort((a, b) -> Integer.compare(a.get("id").asInt(), b.get("id").asInt()));
        for (JsonNode t : added) {
            ObjectNode e = dec.putObject(Integer.toString(t.get("id").asInt()));
            e.put("content", t.get("content").asText());
            for (String flag : List.of("lstrip", "normalized", "rstrip", "single_word", "special")) {
                e.put(flag, t.path(flag).asBoolean(false));
            }
        }
        return dec;
    }

    private static ObjectNode readObject(Path file, Consumer<String> warnings) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            JsonNode n = JSON.readTree(file.toFile());
            if (n instanceof ObjectNode o) {
                return o;
            }
            warnings.accept(file + " is not a JSON object; it is ignored.");
        } catch (IOException e) {
            warnings.accept("Cannot read " + file + " (" + e.getMessage() + "); it is ignored.");
        }
        return null;
    }

    private static void writeJson(Path file, JsonNode node) {
        try {
            Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node) + "\n",
                    StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw EvomergeException.runtime("Cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static void copyIfPresent(Path from, Path outDir) {
        if (!Files.isRegularFile(from)) {
            return;
        }
        try {
            Files.copy(from, outDir.resolve(from.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw EvomergeException.runtime("Cannot copy " + from + " to " + outDir + ": " + e.getMessage(), e);
        }
    }
}
