package dev.evomerge.merge.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.TextFiles;
import dev.evomerge.core.io.UnknownKeys;
import dev.evomerge.core.tensor.DType;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Reads mergekit merge YAML into a {@link MergeConfig}. Every error is a usage error naming the file and the key path
 * ({@code slices[0].sources[1].layer_range}); keys mergekit does not know are reported as warnings and ignored.
 */
public final class MergeConfigReader {

    private static final Set<String> TOP_KEYS = Set.of("merge_method", "models", "slices", "modules", "base_model",
            "parameters", "dtype", "out_dtype", "tokenizer_source", "tokenizer", "chat_template", "name");
    private static final Set<String> MODEL_KEYS = Set.of("model", "parameters");
    private static final Set<String> SOURCE_KEYS = Set.of("model", "layer_range", "parameters");
    private static final Set<String> SLICE_KEYS = Set.of("sources", "base_model", "parameters", "residual_weight");
    private static final Set<String> MODULE_KEYS = Set.of("slices", "models", "parameters");
    private static final Set<String> TOKENIZER_KEYS = Set.of("source", "tokens", "pad_to_multiple_of");
    private static final Set<String> TOKEN_KEYS = Set.of("source", "force");
    private static final Set<String> REF_KEYS = Set.of("model", "lora", "override_architecture");
    /** Python's float() accepts these; YAML 1.1 parsers leave e.g. {@code 1e-5} (no dot) as a string. */
    /** The parser's complaint about YAML's infinity and NaN spellings. */
    private static final Pattern NON_FINITE =
            Pattern.compile("Malformed numeric value '([-+]?\\.(?:inf|Inf|INF|nan|NaN|NAN))'");
    private static final Pattern NUMBER = Pattern.compile("[-+]?(\\d[\\d_]*(\\.\\d*)?|\\.\\d+)([eE][-+]?\\d+)?");

    private final String file;
    private final Consumer<String> warnings;

    private MergeConfigReader(String file, Consumer<String> warnings) {
        this.file = file;
        this.warnings = warnings;
    }

    /** Reads a config file; a missing or unreadable file is a usage error. */
    public static MergeConfig read(Path path, Consumer<String> warnings) {
        return parse(TextFiles.readUtf8(path, "Merge config"), path.toString(), warnings);
    }

    /** Parses YAML text; {@code file} names it in messages. */
    public static MergeConfig parse(String yaml, String file, Consumer<String> warnings) {
        JsonNode root;
        try {
            root = new YAMLMapper().readTree(yaml);
        } catch (JacksonException e) {
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr();
            var nonFinite = NON_FINITE.matcher(String.valueOf(e.getOriginalMessage()));
            if (nonFinite.matches()) {
                // YAML's .inf/.nan: the parser cannot make a number of them, and a merge cannot use one
                throw EvomergeException.usage(file + where + ": " + nonFinite.group(1) + " is not a finite number;"
                        + " merge parameters must be finite numbers.", e);
            }
            throw EvomergeException.usage(file + " is not valid YAML" + where + ": " + e.getOriginalMessage(), e);
        }
        return new MergeConfigReader(file, warnings).config(root).withSourceText(yaml);
    }

    private MergeConfig config(JsonNode root) {
        if (root == null || root.isMissingNode() || root.isNull()) {
            throw error("", "is empty; a merge config needs at least merge_method and models or slices");
        }
        if (!root.isObject()) {
            throw error("", "must be a mapping of keys such as merge_method and models");
        }
        warnUnknown(root, "", TOP_KEYS);
        String method = requiredText(root, "merge_method", "merge_method");
        int forms = (has(root, "models") ? 1 : 0) + (has(root, "slices") ? 1 : 0) + (has(root, "modules") ? 1 : 0);
        if (forms != 1) {
            throw EvomergeException.usage(file + ": exactly one of 'models', 'slices', or 'modules' must be present.");
        }
        List<InputModel> models = has(root, "models") ? models(root.get("models"), "models") : null;
        List<OutputSlice> slices = has(root, "slices") ? slices(root.get("slices"), "slices") : null;
        Map<String, OutputModule> modules = has(root, "modules") ? modules(root.get("modules")) : null;
        ModelReference base = has(root, "base_model") ? reference(root.get("base_model"), "base_model") : null;
        Parameters params = parameters(root.get("parameters"), "parameters", null);
        DType dtype = has(root, "dtype") ? dtype(root.get("dtype"), "dtype") : null;
        DType outDtype = has(root, "out_dtype") ? dtype(root.get("out_dtype"), "out_dtype") : null;
        if (has(root, "tokenizer_source") && has(root, "tokenizer")) {
            throw EvomergeException.usage(file + ": 'tokenizer_source' and 'tokenizer' cannot both be set; use one.");
        }
        TokenizerConfig tokenizer = null;
        boolean legacy = false;
        if (has(root, "tokenizer_source")) {
            tokenizer = new TokenizerConfig(tokenizerSource(root.get("tokenizer_source"), "tokenizer_source"),
                    null, null);
            legacy = true;
        } else if (has(root, "tokenizer")) {
            tokenizer = tokenizer(root.get("tokenizer"));
        }
        String chatTemplate = has(root, "chat_template")
                ? ChatTemplates.validate(text(root.get("chat_template"), "chat_template"), file) : null;
        return new MergeConfig(method, models, slices, modules, base, params, dtype, outDtype, tokenizer, legacy,
                chatTemplate, null);
    }

    private List<InputModel> models(JsonNode node, String path) {
        List<InputModel> out = new ArrayList<>();
        for (int i = 0; i < list(node, path).size(); i++) {
            JsonNode e = node.get(i);
            String p = path + "[" + i + "]";
            if (e.isTextual()) {
                out.add(new InputModel(reference(e, p), Parameters.empty()));
                continue;
            }
            requireObject(e, p, "a mapping with 'model' and optional 'parameters'");
            warnUnknown(e, p, MODEL_KEYS);
            ModelReference model = reference(required(e, "model", p), p + ".model");
            out.add(new InputModel(model, parameters(e.get("parameters"), p + ".parameters", "model " + model)));
        }
        if (out.isEmpty()) {
            throw error(path, "is empty; list at least one model");
        }
        return out;
    }

    private List<OutputSlice> slices(JsonNode node, String path) {
        List<OutputSlice> out = new ArrayList<>();
        List<JsonNode> items = list(node, path);
        for (int i = 0; i < items.size(); i++) {
            JsonNode e = items.get(i);
            String p = path + "[" + i + "]";
            requireObject(e, p, "a mapping with 'sources'");
            warnUnknown(e, p, SLICE_KEYS);
            List<InputSlice> sources = new ArrayList<>();
            JsonNode srcNode = required(e, "sources", p);
            List<JsonNode> srcs = list(srcNode, p + ".sources");
            for (int j = 0; j < srcs.size(); j++) {
                JsonNode s = srcs.get(j);
                String sp = p + ".sources[" + j + "]";
                requireObject(s, sp, "a mapping with 'model' and 'layer_range'");
                warnUnknown(s, sp, SOURCE_KEYS);
                ModelReference model = reference(required(s, "model", sp), sp + ".model");
                LayerRange range = layerRange(required(s, "layer_range", sp), sp + ".layer_range");
                sources.add(new InputSlice(model, range, parameters(s.get("parameters"), sp + ".parameters",
                        "model " + model)));
            }
            if (sources.isEmpty()) {
                throw error(p + ".sources", "is empty; a slice needs at least one source");
            }
            ModelReference base = has(e, "base_model") ? reference(e.get("base_model"), p + ".base_model") : null;
            Double residual = has(e, "residual_weight") ? number(e.get("residual_weight"), p + ".residual_weight")
                    : null;
            out.add(new OutputSlice(sources, base, parameters(e.get("parameters"), p + ".parameters", null),
                    residual));
        }
        if (out.isEmpty()) {
            throw error(path, "is empty; list at least one slice");
        }
        return out;
    }

    private Map<String, OutputModule> modules(JsonNode node) {
        requireObject(node, "modules", "a mapping of module name to {slices or models, parameters}");
        Map<String, OutputModule> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            String p = "modules." + e.getKey();
            JsonNode m = e.getValue();
            requireObject(m, p, "a mapping with 'slices' or 'models'");
            warnUnknown(m, p, MODULE_KEYS);
            if (has(m, "slices") == has(m, "models")) {
                throw error(p, "needs exactly one of 'slices' and 'models'");
            }
            out.put(e.getKey(), new OutputModule(
                    has(m, "slices") ? slices(m.get("slices"), p + ".slices") : null,
                    has(m, "models") ? models(m.get("models"), p + ".models") : null,
                    parameters(m.get("parameters"), p + ".parameters", null)));
        }
        if (out.isEmpty()) {
            throw error("modules", "is empty; name at least one module");
        }
        return out;
    }

    private LayerRange layerRange(JsonNode node, String path) {
        if (!node.isArray() || node.size() != 2 || !isInteger(node.get(0)) || !isInteger(node.get(1))) {
            throw error(path, "must be a list of two integers [start, end] (the end is exclusive)");
        }
        int start = node.get(0).asInt();
        int end = node.get(1).asInt();
        if (start < 0 || end < start) {
            throw error(path, "is [" + start + ", " + end + "]; it needs 0 <= start <= end (the end is exclusive)");
        }
        return new LayerRange(start, end);
    }

    private static boolean isInteger(JsonNode n) {
        return n.isIntegralNumber() || (n.isTextual() && n.asText().matches("[-+]?\\d+"));
    }

    // ---- model references

    private ModelReference reference(JsonNode node, String path) {
        if (node.isTextual()) {
            return parseReference(node.asText(), path);
        }
        if (node.isObject()) {
            warnUnknown(node, path, REF_KEYS);
            ModelReference model = modelPath(required(node, "model", path), path + ".model");
            ModelReference ref = model;
            if (has(node, "lora")) {
                ModelReference lora = modelPath(node.get("lora"), path + ".lora");
                ref = new ModelReference(model.path(), model.revision(), lora.path(), lora.revision(), null);
            }
            if (has(node, "override_architecture")) {
                ref = ref.withOverrideArchitecture(text(node.get("override_architecture"),
                        path + ".override_architecture"));
            }
            return ref;
        }
        throw error(path, "must be a model directory (a string) or a mapping with 'model'");
    }

    private ModelReference modelPath(JsonNode node, String path) {
        if (node.isTextual()) {
            return parseReference(node.asText(), path);
        }
        if (node.isObject()) {
            String p = requiredText(node, "path", path);
            String rev = has(node, "revision") ? text(node.get("revision"), path + ".revision") : null;
            return new ModelReference(p, rev, null, null, null);
        }
        throw error(path, "must be a path string or a mapping with 'path' and optional 'revision'");
    }

    private ModelReference parseReference(String text, String path) {
        try {
            return ModelReference.parse(text);
        } catch (EvomergeException e) {
            throw EvomergeException.usage(file + ": " + path + ": " + e.getMessage());
        }
    }

    // ---- parameters

    /** {@code owner} ("model M", or null for global/slice parameters) names where a bad value sits in messages. */
    private Parameters parameters(JsonNode node, String path, String owner) {
        if (node == null || node.isNull()) {
            return Parameters.empty();
        }
        requireObject(node, path, "a mapping of parameter name to value");
        Map<String, ParameterSetting> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            out.put(e.getKey(), setting(e.getValue(), path + "." + e.getKey(), owner));
        }
        return new Parameters(out);
    }

    private ParameterSetting setting(JsonNode node, String path, String owner) {
        if (node == null || node.isNull()) {
            throw error(path, "has no value; give a number, a list of numbers, or a list of {filter, value} entries");
        }
        if (isScalar(node)) {
            return new ParameterSetting.Scalar(scalar(node, path, owner));
        }
        if (node.isObject()) {
            throw error(path, "is a single {filter, value} mapping; write it as a list: [{filter: ..., value: ...}]");
        }
        List<JsonNode> items = list(node, path);
        if (items.isEmpty()) {
            throw error(path, "is an empty list; give at least one value");
        }
        if (items.stream().allMatch(MergeConfigReader::isScalar)) {
            List<ParameterValue> values = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                values.add(scalar(items.get(i), path + "[" + i + "]", owner));
            }
            if (values.stream().allMatch(v -> !(v instanceof ParameterValue.Text))) {
                return new ParameterSetting.Gradient(values.stream().map(ParameterValue::asDouble).toList());
            }
            return new ParameterSetting.Steps(values);
        }
        List<ParameterSetting.Condition> conditions = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            JsonNode c = items.get(i);
            String cp = path + "[" + i + "]";
            if (!c.isObject()) {
                throw error(cp, "must be a {filter, value} mapping, since other entries of this list are");
            }
            warnUnknown(c, cp, Set.of("filter", "value"));
            JsonNode f = c.get("filter");
            String filter = f == null || f.isNull() ? null : text(f, cp + ".filter");
            JsonNode v = required(c, "value", cp);
            String where = (owner == null ? "" : owner + ", ") + "filter " + (filter == null ? "(none)" : filter);
            ParameterSetting value = setting(v, cp + ".value", where);
            if (value instanceof ParameterSetting.Conditional) {
                throw error(cp + ".value", "cannot be another list of {filter, value} entries");
            }
            conditions.add(new ParameterSetting.Condition(filter, value));
        }
        return new ParameterSetting.Conditional(conditions);
    }

    private static boolean isScalar(JsonNode n) {
        return n.isNumber() || n.isBoolean() || n.isTextual();
    }

    private ParameterValue scalar(JsonNode n, String path, String owner) {
        if (n.isBoolean()) {
            return new ParameterValue.Flag(n.booleanValue());
        }
        if (n.isNumber()) {
            // the parser has already turned a literal too large for a double (1e400) into Infinity
            return finite(n.doubleValue(), "too large for a number (it reads as " + n.asText() + ")", path, owner);
        }
        String s = n.asText().trim();
        if (NUMBER.matcher(s).matches() && s.chars().anyMatch(Character::isDigit)) {
            double v = Double.parseDouble(s.replace("_", ""));
            return finite(v, "too large for a number (it reads as " + v + ")", path, owner);
        }
        return new ParameterValue.Text(n.asText());
    }

    /**
     * A parameter number; a literal too large for a double (1e400, which Python reads as inf) is refused. (YAML's
     * .inf and .nan never get here: the parser rejects them, see {@link #parse}.)
     */
    private ParameterValue finite(double v, String what, String path, String owner) {
        if (!Double.isFinite(v)) {
            throw error(path, (owner == null ? "" : "(" + owner + ") ") + "is " + what
                    + "; merge parameters must be finite numbers");
        }
        return new ParameterValue.Numeric(v);
    }

    // ---- tokenizer

    private TokenizerSource tokenizerSource(JsonNode node, String path) {
        if (node.isTextual()) {
            try {
                return TokenizerSource.parse(node.asText());
            } catch (EvomergeException e) {
                throw EvomergeException.usage(file + ": " + path + ": " + e.getMessage());
            }
        }
        return new TokenizerSource.Model(reference(node, path));
    }

    private TokenizerConfig tokenizer(JsonNode node) {
        requireObject(node, "tokenizer", "a mapping with 'source', 'tokens' and 'pad_to_multiple_of'");
        warnUnknown(node, "tokenizer", TOKENIZER_KEYS);
        TokenizerSource source = has(node, "source") ? tokenizerSource(node.get("source"), "tokenizer.source")
                : new TokenizerSource.Union();
        Map<String, TokenEmbedding> tokens = new LinkedHashMap<>();
        if (has(node, "tokens")) {
            JsonNode t = node.get("tokens");
            requireObject(t, "tokenizer.tokens", "a mapping of token to {source, force}");
            for (Map.Entry<String, JsonNode> e : t.properties()) {
                tokens.put(e.getKey(), tokenEmbedding(e.getValue(), "tokenizer.tokens." + e.getKey()));
            }
        }
        Integer pad = null;
        if (has(node, "pad_to_multiple_of")) {
            JsonNode p = node.get("pad_to_multiple_of");
            if (!isInteger(p) || p.asInt() < 1) {
                throw error("tokenizer.pad_to_multiple_of", "must be a positive integer");
            }
            pad = p.asInt();
        }
        return new TokenizerConfig(source, tokens, pad);
    }

    private TokenEmbedding tokenEmbedding(JsonNode node, String path) {
        if (node == null || node.isNull()) {
            return new TokenEmbedding(null, false);
        }
        requireObject(node, path, "a mapping with optional 'source' and 'force'");
        warnUnknown(node, path, TOKEN_KEYS);
        boolean force = false;
        if (has(node, "force")) {
            if (!node.get("force").isBoolean()) {
                throw error(path + ".force", "must be true or false");
            }
            force = node.get("force").booleanValue();
        }
        EmbeddingSource source = has(node, "source") ? embeddingSource(node.get("source"), path + ".source") : null;
        if (force && source == null) {
            throw error(path, "sets force: true without a source");
        }
        return new TokenEmbedding(source, force);
    }

    private EmbeddingSource embeddingSource(JsonNode node, String path) {
        if (node.isObject() && has(node, "kind")) {
            String kind = text(node.get("kind"), path + ".kind");
            switch (kind) {
                case "zero" -> {
                    warnUnknown(node, path, Set.of("kind"));
                    return new EmbeddingSource.Zero();
                }
                case "model_token" -> {
                    warnUnknown(node, path, Set.of("kind", "model", "token_id", "token"));
                    ModelReference model = reference(required(node, "model", path), path + ".model");
                    if (has(node, "token_id") == has(node, "token")) {
                        throw error(path, "needs exactly one of 'token_id' and 'token'");
                    }
                    if (has(node, "token_id")) {
                        if (!isInteger(node.get("token_id")) || node.get("token_id").asInt() < 0) {
                            throw error(path + ".token_id", "must be a non-negative integer");
                        }
                        return new EmbeddingSource.ModelToken(model, node.get("token_id").asInt(), null);
                    }
                    return new EmbeddingSource.ModelToken(model, null, text(node.get("token"), path + ".token"));
                }
                default -> throw error(path + ".kind", "is '" + kind + "'; expected 'zero' or 'model_token'");
            }
        }
        return new EmbeddingSource.FromModel(reference(node, path));
    }

    // ---- small helpers

    private DType dtype(JsonNode node, String path) {
        String name = text(node, path);
        DType d;
        try {
            d = DType.parse(name);
        } catch (EvomergeException e) {
            throw error(path, "is '" + name + "'; expected one of bfloat16, float16, float32");
        }
        if (!d.isFloating()) {
            throw error(path, "is '" + name + "'; merges need a floating-point dtype (bfloat16, float16, float32)");
        }
        return d;
    }

    private String requiredText(JsonNode parent, String key, String path) {
        return text(required(parent, key, path), path.isEmpty() || path.equals(key) ? key : path + "." + key);
    }

    private JsonNode required(JsonNode parent, String key, String path) {
        JsonNode n = parent.get(key);
        if (n == null || n.isNull()) {
            String where = path.isEmpty() || path.equals(key) ? key : path + "." + key;
            throw EvomergeException.usage(file + ": '" + where + "' is required but missing.");
        }
        return n;
    }

    private String text(JsonNode node, String path) {
        if (!node.isTextual() && !node.isNumber() && !node.isBoolean()) {
            throw error(path, "must be a string");
        }
        return node.asText();
    }

    private double number(JsonNode node, String path) {
        ParameterValue v = isScalar(node) ? scalar(node, path, null) : null;
        if (v == null || v instanceof ParameterValue.Text) {
            throw error(path, "must be a number");
        }
        return v.asDouble();
    }

    private List<JsonNode> list(JsonNode node, String path) {
        if (node == null || !node.isArray()) {
            throw error(path, "must be a list");
        }
        List<JsonNode> out = new ArrayList<>();
        node.forEach(out::add);
        return out;
    }

    private void requireObject(JsonNode node, String path, String what) {
        if (node == null || !node.isObject()) {
            throw error(path, "must be " + what);
        }
    }

    private static boolean has(JsonNode node, String key) {
        JsonNode n = node.get(key);
        return n != null && !n.isNull();
    }

    private void warnUnknown(JsonNode node, String path, Set<String> known) {
        new UnknownKeys(" (mergekit ignores it too).", warnings)
                .check(file, path.isEmpty() ? "" : path + ".", node.fieldNames(), known::contains);
    }

    private EvomergeException error(String path, String what) {
        return EvomergeException.usage(file + ": " + (path.isEmpty() ? "the config" : "'" + path + "'") + " " + what
                + ".");
    }
}
