package dev.evomerge.merge.vocab;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.FloatFormats;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;
import dev.evomerge.merge.config.EmbeddingSource;
import dev.evomerge.merge.config.MergeConfig;
import dev.evomerge.merge.config.ModelReference;
import dev.evomerge.merge.config.TokenEmbedding;
import dev.evomerge.merge.config.TokenizerConfig;
import dev.evomerge.merge.config.TokenizerSource;
import dev.evomerge.merge.input.InputModelInfo;
import dev.evomerge.merge.input.ModelCatalog;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The output vocabulary of a merge whose config has a {@code tokenizer:} block or {@code tokenizer_source} (see
 * docs/merging.md) and how each model's embedding rows map onto it: {@code p[newId] = oldId}, or -1 when the model lacks the token. Embeddings ({@code is_embed} weights) are
 * re-indexed by {@link #permute} before the merge method sees them; rows a model lacks are filled by the default
 * rule (configured source; the one model that has it; the base's; else the mean of the models that have it), and
 * padding rows up to {@code pad_to_multiple_of} get the mean of the real rows.
 */
public final class VocabularyPlan {

    private final List<String> tokens;
    private final Map<String, Integer> ids;
    private final int paddedSize;
    private final Map<ModelReference, int[]> permutations;
    private final Map<ModelReference, Map<String, Integer>> originalVocabs;
    private final Map<String, TokenEmbedding> tokenConfigs;
    private final ObjectNode tokenizerJson;
    private final ModelReference tokenizerDonor;

    private VocabularyPlan(List<String> tokens, int paddedSize, Map<ModelReference, int[]> permutations,
                           Map<ModelReference, Map<String, Integer>> originalVocabs,
                           Map<String, TokenEmbedding> tokenConfigs, ObjectNode tokenizerJson,
                           ModelReference tokenizerDonor) {
        this.tokens = List.copyOf(tokens);
        this.ids = new HashMap<>();
        for (int i = 0; i < tokens.size(); i++) {
            ids.put(tokens.get(i), i);
        }
        this.paddedSize = paddedSize;
        this.permutations = permutations;
        this.originalVocabs = originalVocabs;
        this.tokenConfigs = tokenConfigs;
        this.tokenizerJson = tokenizerJson;
        this.tokenizerDonor = tokenizerDonor;
    }

    /**
     * Builds the output vocabulary for {@code config.tokenizer()}.
     *
     * @param base the base model, else the first listed model (its tokenizer, stripped to its config's vocab_size,
     *             is the starting point)
     */
    public static VocabularyPlan build(MergeConfig config, ModelReference base, ModelCatalog models,
                                       Consumer<String> warnings) {
        TokenizerConfig tc = config.tokenizer();
        InputModelInfo baseModel = models.get(base);
        TokenizerJson baseTok = TokenizerJson.read(baseModel.directory());
        if (baseTok == null) {
            throw EvomergeException.usage("The tokenizer settings need " + TokenizerJson.FILE + " in base model "
                    + base + " (" + baseModel.directory() + "), which has none.");
        }
        int baseSize = vocabSize(baseModel, baseTok);
        baseTok = baseTok.strippedTo(baseSize);

        List<ModelReference> referenced = config.referencedModels();
        Map<ModelReference, TokenizerJson> tokenizers = new LinkedHashMap<>();
        tokenizers.put(base, baseTok);
        for (ModelReference r : referenced) {
            if (r.equals(base)) {
                continue;
            }
            TokenizerJson t = TokenizerJson.read(models.get(r).directory());
            if (t == null) {
                warnings.accept("Model " + r + " has no " + TokenizerJson.FILE + "; assuming the same vocabulary as "
                        + base + ".");
                continue;
            }
            tokenizers.put(r, t);
        }

        TokenizerJson out;
        ModelReference donor = base;
        switch (tc.source()) {
            case TokenizerSource.Base b -> out = baseTok;
            case TokenizerSource.Model m -> {
                out = tokenizers.get(m.model());
                if (out == null) {
                    throw EvomergeException.usage("tokenizer source " + m.model() + " has no " + TokenizerJson.FILE
                            + ".");
                }
                donor = m.model();
            }
            case TokenizerSource.Union u -> out = union(baseTok, tokenizers, models);
        }
        List<ObjectNode> extra = new ArrayList<>();
        Map<String, Integer> vocab = out.vocab();
        int next = vocab.size();
        for (String token : tc.tokens().keySet()) {
            if (!vocab.containsKey(token)) {
                extra.add(TokenizerJson.plainAddedToken(next, token));
                vocab.put(token, next++);
            }
        }
        out = out.withAddedTokens(extra);

        List<String> byId = orderedTokens(vocab, out.source());
        int size = byId.size();
        Integer pad = tc.padToMultipleOf();
        int padded = pad == null || size % pad == 0 ? size : (size / pad + 1) * pad;

        Map<ModelReference, int[]> perms = new LinkedHashMap<>();
        Map<ModelReference, Map<String, Integer>> originals = new LinkedHashMap<>();
        for (ModelReference r : referenced) {
            TokenizerJson t = tokenizers.getOrDefault(r, baseTok);
            Map<String, Integer> mv = t.vocab();
            originals.put(r, mv);
            int limit = vocabSize(models.get(r), t);
            int[] p = new int[size];
            for (int i = 0; i < size; i++) {
                Integer old = mv.get(byId.get(i));
                p[i] = old != null && old < limit ? old : -1;
            }
            perms.put(r, p);
        }
        VocabularyPlan plan = new VocabularyPlan(byId, padded, perms, originals, tc.tokens(), out.json(), donor);
        plan.checkTokenSources(warnings);
        return plan;
    }

    private static int vocabSize(InputModelInfo m, TokenizerJson t) {
        return m.config().has("vocab_size") ? m.config().vocabSize() : t.vocab().size();
    }

    /** Base vocabulary, then every other token of every tokenizer (base first), then all added tokens. */
    private static TokenizerJson union(TokenizerJson base, Map<ModelReference, TokenizerJson> tokenizers,
                                       ModelCatalog models) {
        Map<String, Integer> baseVocab = base.vocab();
        List<String> regular = new ArrayList<>();
        Set<String> seenRegular = new HashSet<>();
        Map<String, ObjectNode> added = new LinkedHashMap<>();
        for (Map.Entry<ModelReference, TokenizerJson> e : tokenizers.entrySet()) {
            TokenizerJson t = e.getValue();
            int limit = vocabSize(models.get(e.getKey()), t);
            Set<String> addedHere = t.addedContents();
            Map<String, Integer> v = t.vocab();
            v.entrySet().stream().sorted(Map.Entry.comparingByValue()).forEach(x -> {
                if (x.getValue() < limit && !addedHere.contains(x.getKey()) && seenRegular.add(x.getKey())) {
                    regular.add(x.getKey());
                }
            });
            for (ObjectNode a : t.addedTokens()) {
                if (a.get("id").asInt() < limit) {
                    added.putIfAbsent(a.get("content").asText(), a);
                }
            }
        }
        Map<String, Integer> vocab = new HashMap<>(baseVocab);
        List<ObjectNode> extra = new ArrayList<>();
        int next = baseVocab.size();
        for (String tok : regular) {
            if (!added.containsKey(tok) && !vocab.containsKey(tok)) {
                extra.add(TokenizerJson.plainAddedToken(next, tok));
                vocab.put(tok, next++);
            }
        }
        for (ObjectNode a : added.values()) {
            String tok = a.get("content").asText();
            if (!vocab.containsKey(tok)) {
                ObjectNode copy = a.deepCopy();
                copy.put("id", next);
                extra.add(copy);
                vocab.put(tok, next++);
            }
        }
        return base.withAddedTokens(extra);
    }

    private static List<String> orderedTokens(Map<String, Integer> vocab, String source) {
        String[] byId = new String[vocab.size()];
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            int id = e.getValue();
            if (id < 0 || id >= byId.length || byId[id] != null) {
                throw EvomergeException.usage("Tokenizer " + source + " has non-contiguous token ids (token '"
                        + e.getKey() + "' has id " + id + " in a vocabulary of " + byId.length + ").");
            }
            byId[id] = e.getKey();
        }
        return List.of(byId);
    }

    private void checkTokenSources(Consumer<String> warnings) {
        for (Map.Entry<String, TokenEmbedding> e : tokenConfigs.entrySet()) {
            int id = ids.get(e.getKey());
            switch (e.getValue().source()) {
                case EmbeddingSource.FromModel f -> {
                    int[] p = permutation(f.model(), "tokenizer.tokens." + e.getKey());
                    if (p[id] < 0) {
                        throw EvomergeException.usage("tokenizer.tokens." + e.getKey() + ": model " + f.model()
                                + " does not have the token '" + e.getKey() + "'.");
                    }
                }
                case EmbeddingSource.ModelToken mt -> {
                    permutation(mt.model(), "tokenizer.tokens." + e.getKey());
                    if (mt.token() != null && !originalVocabs.get(mt.model()).containsKey(mt.token())) {
                        throw EvomergeException.usage("tokenizer.tokens." + e.getKey() + ": model " + mt.model()
                                + " does not have the token '" + mt.token() + "'.");
                    }
                }
                case null, default -> { }
            }
        }
        List<String> missing = new ArrayList<>();
        for (int id = 0; id < tokens.size(); id++) {
            boolean any = false;
            for (int[] p : permutations.values()) {
                any |= p[id] >= 0;
            }
            TokenEmbedding cfg = tokenConfigs.get(tokens.get(id));
            if (!any && (cfg == null || cfg.source() == null)) {
                missing.add(tokens.get(id));
            }
        }
        if (!missing.isEmpty()) {
            warnings.accept("Token" + (missing.size() == 1 ? " " : "s ") + missing.stream().limit(10)
                    .map(t -> "'" + t + "'").toList() + (missing.size() > 10 ? " and " + (missing.size() - 10)
                    + " more" : "") + " of the output vocabulary " + (missing.size() == 1 ? "is" : "are")
                    + " in no model; their embedding rows are zero.");
        }
    }

    private int[] permutation(ModelReference m, String key) {
        int[] p = permutations.get(m);
        if (p == null) {
            throw EvomergeException.usage(key + ": model " + m + " is not part of the merge.");
        }
        return p;
    }

    /** Number of tokens. */
    public int size() {
        return tokens.size();
    }

    /** Embedding rows in the output: the size rounded up to pad_to_multiple_of. */
    public int paddedSize() {
        return paddedSize;
    }

    /** Tokens by output id. */
    public List<String> tokens() {
        return tokens;
    }

    /** {@code p[newId] = oldId} (or -1) of a model. */
    public int[] permutation(ModelReference model) {
        return permutations.get(model).clone();
    }

    /** The model whose tokenizer files the output's start from (the tokenizer source, else the base). */
    public ModelReference tokenizerDonor() {
        return tokenizerDonor;
    }

    /** The output tokenizer.json. */
    public ObjectNode tokenizerJson() {
        return tokenizerJson.deepCopy();
    }

    /**
     * Re-indexes one embedding of every input to the output vocabulary.
     *
     * @param models     the input models, in input order
     * @param embeddings their [rows, hidden] embeddings, all in one dtype
     * @param base       the base model when it is one of the inputs, else null
     * @return [paddedSize, hidden] tensors in the same order and dtype
     */
    public List<Tensor> permute(String tensorName, List<ModelReference> models, List<Tensor> embeddings,
                                ModelReference base) {
        int n = models.size();
        DType dtype = embeddings.getFirst().dtype();
        long hidden = embeddings.getFirst().shape().dim(1);
        int[][] p = new int[n][];
        for (int m = 0; m < n; m++) {
            p[m] = permutations.get(models.get(m));
            long rows = embeddings.get(m).shape().dim(0);
            for (int id = 0; id < tokens.size(); id++) {
                if (p[m][id] >= rows) {
                    throw EvomergeException.usage("Embedding " + tensorName + " of model " + models.get(m) + " has "
                            + rows + " rows, but its tokenizer maps '" + tokens.get(id) + "' to id " + p[m][id] + ".");
                }
            }
        }
        int baseIndex = base == null ? -1 : models.indexOf(base);
        Map<Integer, float[]> defaults = defaultRows(tensorName, models, embeddings, p, baseIndex, dtype, hidden);
        List<Tensor> out = new ArrayList<>(n);
        long rowBytes = hidden * dtype.byteSize();
        for (int m = 0; m < n; m++) {
            Tensor src = embeddings.get(m);
            Tensor dst = Tensor.allocate(dtype, Shape.of(paddedSize, hidden));
            for (int id = 0; id < tokens.size(); id++) {
                TokenEmbedding cfg = tokenConfigs.get(tokens.get(id));
                boolean force = cfg != null && cfg.force();
                if (p[m][id] >= 0 && !force) {
                    MemorySegment.copy(src.data(), p[m][id] * rowBytes, dst.data(), id * rowBytes, rowBytes);
                } else if (defaults.containsKey(id)) {
                    float[] row = defaults.get(id);
                    for (int h = 0; h < hidden; h++) {
                        dst.setFloat(id * hidden + h, row[h]);
                    }
                }
            }
            if (paddedSize > tokens.size()) {
                float[] mean = new float[(int) hidden];
                double[] acc = new double[(int) hidden];
                for (int id = 0; id < tokens.size(); id++) {
                    for (int h = 0; h < hidden; h++) {
                        acc[h] += dst.getFloat(id * hidden + h);
                    }
                }
                for (int h = 0; h < hidden; h++) {
                    mean[h] = (float) (acc[h] / tokens.size());
                }
                for (int id = tokens.size(); id < paddedSize; id++) {
                    for (int h = 0; h < hidden; h++) {
                        dst.setFloat(id * hidden + h, mean[h]);
                    }
                }
            }
            out.add(dst);
        }
        return out;
    }

    /** mergekit's assign_embedding_sources + compute_default_embedding, for the tokens some model lacks. */
    private Map<Integer, float[]> defaultRows(String tensorName, List<ModelReference> models, List<Tensor> emb,
                                              int[][] p, int baseIndex, DType dtype, long hidden) {
        Map<Integer, float[]> out = new HashMap<>();
        int n = models.size();
        for (int id = 0; id < tokens.size(); id++) {
            String token = tokens.get(id);
            TokenEmbedding cfg = tokenConfigs.get(token);
            int present = 0;
            int only = -1;
            for (int m = 0; m < n; m++) {
                if (p[m][id] >= 0) {
                    present++;
                    only = m;
                }
            }
            boolean needed = cfg != null && cfg.force() || present < n;
            if (!needed) {
                continue;
            }
            float[] row = new float[(int) hidden];
            if (cfg != null && cfg.source() != null) {
                switch (cfg.source()) {
                    case EmbeddingSource.Zero z -> { }
                    case EmbeddingSource.FromModel f -> copyRow(emb, models, f.model(), p, id, -1, row, tensorName);
                    case EmbeddingSource.ModelToken mt -> {
                        int src = mt.tokenId() != null ? mt.tokenId() : originalVocabs.get(mt.model()).get(mt.token());
                        copyRow(emb, models, mt.model(), p, id, src, row, tensorName);
                    }
                }
            } else if (cfg != null) {
                continue; // configured without a source: mergekit leaves such rows zero
            } else if (present == 1) {
                readRow(emb.get(only), p[only][id], row);
            } else if (present == 0) {
                // zeros (warned about once when the vocabulary was built)
            } else if (baseIndex >= 0 && p[baseIndex][id] >= 0) {
                readRow(emb.get(baseIndex), p[baseIndex][id], row);
            } else {
                // Mean in the work dtype: accumulate with one rounding per addition, then divide (torch semantics).
                float[] acc = new float[(int) hidden];
                for (int m = 0; m < n; m++) {
                    if (p[m][id] >= 0) {
                        for (int h = 0; h < hidden; h++) {
                            acc[h] = round(dtype, acc[h] + emb.get(m).getFloat(p[m][id] * hidden + h));
                        }
                    }
                }
                for (int h = 0; h < hidden; h++) {
                    row[h] = round(dtype, acc[h] / present);
                }
            }
            out.put(id, row);
        }
        return out;
    }

    private static void copyRow(List<Tensor> emb, List<ModelReference> models, ModelReference model, int[][] p,
                                int id, int explicitRow, float[] row, String tensorName) {
        int m = models.indexOf(model);
        if (m < 0) {
            throw EvomergeException.usage("tokenizer.tokens: model " + model + " is not an input of tensor "
                    + tensorName + ".");
        }
        int r = explicitRow >= 0 ? explicitRow : p[m][id];
        if (r < 0 || r >= emb.get(m).shape().dim(0)) {
            throw EvomergeException.usage("tokenizer.tokens: token id " + r + " is out of range for model " + model
                    + " (tensor " + tensorName + ").");
        }
        readRow(emb.get(m), r, row);
    }

    private static void readRow(Tensor t, int r, float[] row) {
        long hidden = row.length;
        for (int h = 0; h < hidden; h++) {
            row[h] = t.getFloat(r * hidden + h);
        }
    }

    private static float round(DType d, float v) {
        return switch (d) {
            case BF16 -> FloatFormats.bf16ToFloat(FloatFormats.floatToBf16(v));
            case F16 -> FloatFormats.f16ToFloat(FloatFormats.floatToF16(v));
            default -> v;
        };
    }
}
