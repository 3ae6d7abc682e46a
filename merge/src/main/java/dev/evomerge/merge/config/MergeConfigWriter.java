package dev.evomerge.merge.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import java.util.List;
import java.util.Map;

/**
 * Writes a {@link MergeConfig} as mergekit YAML (what {@code mergekit-yaml} and {@code evomerge merge} read back to
 * an equal config): the one writer of merge YAML, for configs built in code such as evolution's candidates (their
 * text in the run store, best_config.yaml and the cluster's messages) and the mergekit_config.yml of merged models.
 * Keys come in a fixed order, merge_method first; numbers of parameters are written as doubles ({@code 1.0}, not
 * {@code 1}), since they are doubles in the config.
 */
public final class MergeConfigWriter {

    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final YAMLMapper YAML = YAMLMapper.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
            .build();

    private MergeConfigWriter() {
    }

    /** The config as YAML text. */
    public static String toYaml(MergeConfig c) {
        ObjectNode root = F.objectNode();
        root.put("merge_method", c.mergeMethod());
        if (c.modules() != null) {
            ObjectNode modules = root.putObject("modules");
            for (Map.Entry<String, OutputModule> e : c.modules().entrySet()) {
                ObjectNode m = modules.putObject(e.getKey());
                if (e.getValue().slices() != null) {
                    m.set("slices", slices(e.getValue().slices()));
                }
                if (e.getValue().models() != null) {
                    m.set("models", models(e.getValue().models()));
                }
                putParameters(m, e.getValue().parameters());
            }
        }
        if (c.models() != null) {
            root.set("models", models(c.models()));
        }
        if (c.slices() != null) {
            root.set("slices", slices(c.slices()));
        }
        if (c.baseModel() != null) {
            root.set("base_model", reference(c.baseModel()));
        }
        putParameters(root, c.parameters());
        if (c.dtype() != null) {
            root.put("dtype", c.dtype().torchName());
        }
        if (c.outDtype() != null) {
            root.put("out_dtype", c.outDtype().torchName());
        }
        if (c.tokenizer() != null) {
            if (c.legacyTokenizerSource()) {
                root.set("tokenizer_source", tokenizerSource(c.tokenizer().source()));
            } else {
                root.set("tokenizer", tokenizer(c.tokenizer()));
            }
        }
        if (c.chatTemplate() != null) {
            root.put("chat_template", c.chatTemplate());
        }
        try {
            return YAML.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a YAML tree", e);
        }
    }

    private static ArrayNode models(List<InputModel> models) {
        ArrayNode a = F.arrayNode();
        for (InputModel m : models) {
            ObjectNode o = a.addObject();
            o.set("model", reference(m.model()));
            putParameters(o, m.parameters());
        }
        return a;
    }

    private static ArrayNode slices(List<OutputSlice> slices) {
        ArrayNode a = F.arrayNode();
        for (OutputSlice s : slices) {
            ObjectNode o = a.addObject();
            ArrayNode sources = o.putArray("sources");
            for (InputSlice src : s.sources()) {
                ObjectNode so = sources.addObject();
                so.set("model", reference(src.model()));
                so.putArray("layer_range").add(src.layerRange().start()).add(src.layerRange().end());
                putParameters(so, src.parameters());
            }
            if (s.baseModel() != null) {
                o.set("base_model", reference(s.baseModel()));
            }
            putParameters(o, s.parameters());
            if (s.residualWeight() != null) {
                o.put("residual_weight", s.residualWeight());
            }
        }
        return a;
    }

    private static JsonNode reference(ModelReference r) {
        if (r.overrideArchitecture() == null) {
            return F.textNode(r.toString());
        }
        ObjectNode o = F.objectNode();
        ObjectNode model = o.putObject("model");
        model.put("path", r.path());
        if (r.revision() != null) {
            model.put("revision", r.revision());
        }
        if (r.loraPath() != null) {
            ObjectNode lora = o.putObject("lora");
            lora.put("path", r.loraPath());
            if (r.loraRevision() != null) {
                lora.put("revision", r.loraRevision());
            }
        }
        o.put("override_architecture", r.overrideArchitecture());
        return o;
    }

    private static void putParameters(ObjectNode parent, Parameters p) {
        if (p.isEmpty()) {
            return;
        }
        ObjectNode o = parent.putObject("parameters");
        for (Map.Entry<String, ParameterSetting> e : p.settings().entrySet()) {
            o.set(e.getKey(), setting(e.getValue()));
        }
    }

    private static JsonNode setting(ParameterSetting s) {
        return switch (s) {
            case ParameterSetting.Scalar sc -> value(sc.value());
            case ParameterSetting.Gradient g -> {
                ArrayNode a = F.arrayNode();
                g.anchors().forEach(v -> a.add(F.numberNode(v)));
                yield a;
            }
            case ParameterSetting.Steps st -> {
                ArrayNode a = F.arrayNode();
                st.values().forEach(v -> a.add(value(v)));
                yield a;
            }
            case ParameterSetting.Conditional c -> {
                ArrayNode a = F.arrayNode();
                for (ParameterSetting.Condition cond : c.conditions()) {
                    ObjectNode o = a.addObject();
                    if (cond.filter() == null) {
                        o.putNull("filter");
                    } else {
                        o.put("filter", cond.filter());
                    }
                    o.set("value", setting(cond.value()));
                }
                yield a;
            }
        };
    }

    private static JsonNode value(ParameterValue v) {
        return switch (v) {
            case ParameterValue.Numeric n -> F.numberNode(n.value());
            case ParameterValue.Flag f -> F.booleanNode(f.value());
            case ParameterValue.Text t -> F.textNode(t.value());
        };
    }

    private static JsonNode tokenizerSource(TokenizerSource s) {
        return switch (s) {
            case TokenizerSource.Base b -> F.textNode("base");
            case TokenizerSource.Union u -> F.textNode("union");
            case TokenizerSource.Model m -> reference(m.model());
        };
    }

    private static ObjectNode tokenizer(TokenizerConfig t) {
        ObjectNode o = F.objectNode();
        o.set("source", tokenizerSource(t.source()));
        if (!t.tokens().isEmpty()) {
            ObjectNode tokens = o.putObject("tokens");
            for (Map.Entry<String, TokenEmbedding> e : t.tokens().entrySet()) {
                ObjectNode te = tokens.putObject(e.getKey());
                switch (e.getValue().source()) {
                    case EmbeddingSource.Zero z -> te.putObject("source").put("kind", "zero");
                    case EmbeddingSource.FromModel fm -> te.set("source", reference(fm.model()));
                    case EmbeddingSource.ModelToken mt -> {
                        ObjectNode so = te.putObject("source");
                        so.put("kind", "model_token");
                        so.set("model", reference(mt.model()));
                        if (mt.tokenId() != null) {
                            so.put("token_id", mt.tokenId());
                        } else {
                            so.put("token", mt.token());
                        }
                    }
                    case null -> { }
                }
                if (e.getValue().force()) {
                    te.put("force", true);
                }
            }
        }
        if (t.padToMultipleOf() != null) {
            o.put("pad_to_multiple_of", t.padToMultipleOf());
        }
        return o;
    }
}
