package dev.evomerge.engine.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import com.fasterxml.jackson.databind.JsonNode;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.JsonInput;
import dev.evomerge.core.io.Reasons;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A model directory's Hugging Face tokenizer: tokenizer.json run by the Rust tokenizers library (through DJL, fully
 * offline) plus what tokenizer_config.json, generation_config.json and config.json say about special tokens.
 * Immutable and safe to share between threads (the native tokenizer is only read).
 */
public final class Tokenizer implements AutoCloseable {

    /** The tokenizer file every model directory must have. */
    public static final String FILE = "tokenizer.json";

    /** Tokens of context that {@link #piece} decodes before the token, enough for any UTF-8 character. */
    private static final int PIECE_CONTEXT = 8;

    private final HuggingFaceTokenizer djl;
    private final Vocabulary vocab;
    private final TokenizerConfig config;
    private final String source;
    private final OptionalInt bosId;
    private final OptionalInt eosId;
    private final OptionalInt padId;
    private final OptionalInt unkId;
    private final int[] eosIds;
    private final boolean addsBos;
    private final TokenBytes tokenBytes;

    private Tokenizer(HuggingFaceTokenizer djl, Vocabulary vocab, TokenizerConfig config, String source,
                      List<Integer> generationEosIds, TokenBytes tokenBytes) {
        this.djl = djl;
        this.tokenBytes = tokenBytes;
        this.vocab = vocab;
        this.config = config;
        this.source = source;
        Path cfgFile = Path.of(TokenizerConfig.FILE);
        this.bosId = resolve(config.bosToken(), "bos_token", cfgFile);
        this.eosId = resolve(config.eosToken(), "eos_token", cfgFile);
        this.padId = resolve(config.padToken(), "pad_token", cfgFile);
        this.unkId = resolve(config.unkToken(), "unk_token", cfgFile);
        LinkedHashSet<Integer> eos = new LinkedHashSet<>(generationEosIds);
        eosId.ifPresent(eos::add);
        this.eosIds = eos.stream().mapToInt(Integer::intValue).toArray();
        int[] empty = encode("", true);
        this.addsBos = bosId.isPresent() && empty.length > 0 && empty[0] == bosId.getAsInt();
    }

    /**
     * Loads {@code modelDir}/tokenizer.json with tokenizer_config.json / special_tokens_map.json, and the EOS ids of
     * generation_config.json (preferred) or config.json.
     */
    public static Tokenizer load(Path modelDir) {
        Path file = modelDir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw EvomergeException.usage(file + " does not exist: evomerge needs the Hugging Face fast tokenizer"
                    + " file (tokenizer.json) in the model directory.");
        }
        TokenizerConfig config = TokenizerConfig.read(modelDir);
        Path gen = modelDir.resolve("generation_config.json");
        Path cfg = modelDir.resolve("config.json");
        List<Integer> eos = new ArrayList<>();
        JsonFiles.readOptional(gen).ifPresent(g -> eos.addAll(JsonFiles.intOrList(g, "eos_token_id", gen)));
        JsonFiles.readOptional(cfg).ifPresent(c -> eos.addAll(JsonFiles.intOrList(c, "eos_token_id", cfg)));
        return of(file, config, eos);
    }

    /**
     * A tokenizer from a tokenizer.json file and an already-read configuration.
     *
     * @param generationEosIds ids that end generation besides the configuration's eos_token (may be empty)
     */
    public static Tokenizer of(Path tokenizerJson, TokenizerConfig config, List<Integer> generationEosIds) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(tokenizerJson);
        } catch (IOException e) {
            throw EvomergeException.usage("could not read " + tokenizerJson + ": " + Reasons.of(e), e);
        }
        JsonNode root;
        try {
            root = JsonInput.readTree(JsonFiles.mapper(), bytes);
        } catch (IOException e) {
            throw EvomergeException.usage(tokenizerJson + " is not valid JSON: " + Reasons.of(e), e);
        }
        Vocabulary vocab = Vocabulary.of(root, tokenizerJson);
        DjlOffline.ensure();
        HuggingFaceTokenizer t;
        try {
            // No truncation or padding (DJL truncates to 512 by default); special tokens are chosen per call.
            t = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(bytes),
                    Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "true"));
        } catch (IOException | RuntimeException e) {
            throw EvomergeException.usage(tokenizerJson + " could not be loaded by the tokenizers library: "
                    + e.getMessage(), e);
        }
        Tokenizer tok = new Tokenizer(t, vocab, config, tokenizerJson.toString(), generationEosIds,
                TokenBytes.of(root, vocab));
        tok.checkAddedTokens();
        return tok;
    }

    private OptionalInt resolve(Optional<String> token, String key, Path file) {
        if (token.isEmpty()) {
            return OptionalInt.empty();
        }
        OptionalInt id = vocab.id(token.get());
        if (id.isEmpty()) {
            throw EvomergeException.usage(file + ": " + key + " '" + token.get() + "' is not a token of " + source
                    + ".");
        }
        return id;
    }

    private void checkAddedTokens() {
        for (AddedToken t : config.addedTokensDecoder().values()) {
            String mine = vocab.token(t.id());
            if (mine != null && !mine.equals(t.content())) {
                throw EvomergeException.usage(TokenizerConfig.FILE + ": added_tokens_decoder id " + t.id() + " is '"
                        + t.content() + "' but " + source + " has '" + mine + "' at that id.");
            }
        }
    }

    /** Token ids of {@code text}; with {@code addSpecialTokens} the BOS/EOS the tokenizer adds by default. */
    public int[] encode(String text, boolean addSpecialTokens) {
        return encodeWithOffsets(text, addSpecialTokens).ids();
    }

    /** Token ids, token strings and code-point offsets of {@code text}. */
    public Encoding encodeWithOffsets(String text, boolean addSpecialTokens) {
        boolean byFlags = config.addBosToken().isPresent() || config.addEosToken().isPresent();
        ai.djl.huggingface.tokenizers.Encoding e = djl.encode(text, addSpecialTokens && !byFlags, false);
        long[] raw = e.getIds();
        String[] rawTokens = e.getTokens();
        CharSpan[] spans = e.getCharTokenSpans();
        boolean bos = addSpecialTokens && byFlags && config.addBosToken().orElse(false) && bosId.isPresent();
        boolean eos = addSpecialTokens && byFlags && config.addEosToken().orElse(false) && eosId.isPresent();
        int n = raw.length + (bos ? 1 : 0) + (eos ? 1 : 0);
        int[] ids = new int[n];
        String[] tokens = new String[n];
        int[] starts = new int[n];
        int[] ends = new int[n];
        int k = 0;
        if (bos) {
            ids[k] = bosId.getAsInt();
            tokens[k++] = vocab.token(bosId.getAsInt());
        }
        for (int i = 0; i < raw.length; i++, k++) {
            ids[k] = Math.toIntExact(raw[i]);
            tokens[k] = rawTokens[i];
            CharSpan s = spans[i];
            if (s != null) {
                starts[k] = s.getStart();
                ends[k] = s.getEnd();
            }
        }
        if (eos) {
            ids[k] = eosId.getAsInt();
            tokens[k] = vocab.token(eosId.getAsInt());
        }
        return new Encoding(ids, tokens, starts, ends);
    }

    /** The text of {@code ids}, special tokens included (Hugging Face's {@code decode} default). */
    public String decode(int[] ids) {
        return decode(ids, false);
    }

    /** The text of {@code ids}; ids with no token are ignored. */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        String text = djl.decode(toLongs(ids, 0, ids.length), skipSpecialTokens);
        return config.cleanUpTokenizationSpaces() ? cleanUpTokenizationSpaces(text) : text;
    }

    /**
     * The text each token adds to the decoded sequence (what OpenAI's {@code logprobs.tokens} lists): for most
     * tokenizers the pieces concatenate to {@code decode(ids)}. A token that ends inside a multi-byte character
     * gets U+FFFD and the token completing it gets the character.
     */
    public String[] pieces(int[] ids) {
        String[] out = new String[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = piece(ids, i, ids[i]);
        }
        return out;
    }

    /** The text {@code token} adds when it follows {@code ids[0..end)}: decoded with a few tokens of context. */
    public String piece(int[] ids, int end, int token) {
        int start = Math.max(0, end - PIECE_CONTEXT);
        long[] ctx = toLongs(ids, start, end);
        long[] withToken = java.util.Arrays.copyOf(ctx, ctx.length + 1);
        withToken[ctx.length] = token;
        String before = ctx.length == 0 ? "" : djl.decode(ctx, false);
        String after = djl.decode(withToken, false);
        int common = 0;
        int max = Math.min(before.length(), after.length());
        while (common < max && before.charAt(common) == after.charAt(common)) {
            common++;
        }
        if (common > 0 && common < after.length() && Character.isHighSurrogate(after.charAt(common - 1))) {
            common--; // never split a surrogate pair
        }
        return after.substring(common);
    }

    private static long[] toLongs(int[] ids, int from, int to) {
        long[] out = new long[to - from];
        for (int i = from; i < to; i++) {
            out[i - from] = ids[i];
        }
        return out;
    }

    /** transformers' clean_up_tokenization: no space before . ? ! , and English contractions. */
    static String cleanUpTokenizationSpaces(String s) {
        return s.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",")
                .replace(" ' ", "'").replace(" n't", "n't").replace(" 'm", "'m").replace(" 's", "'s")
                .replace(" 've", "'ve").replace(" 're", "'re");
    }

    /** Number of token ids (highest id + 1); a model's embedding may have more rows. */
    public int vocabSize() {
        return vocab.size();
    }

    /**
     * The bytes {@code id} adds to decoded text (special tokens: none), as tokenizer.json's decoder produces them,
     * so a token ending inside a multi-byte UTF-8 character shows its real bytes rather than U+FFFD; null for an id
     * with no token or whose bytes the decoder does not define.
     */
    public byte[] tokenBytes(int id) {
        byte[] b = tokenBytes.bytes(id);
        return b == null ? null : b.clone();
    }

    /** The vocabulary string of {@code id} (byte-level tokens look like {@code Ġworld}). */
    public String idToToken(int id) {
        String t = vocab.token(id);
        if (t == null) {
            throw new IllegalArgumentException("token id " + id + " is not in " + source);
        }
        return t;
    }

    /** Whether some token has this id. */
    public boolean hasId(int id) {
        return vocab.token(id) != null;
    }

    /** The id of a vocabulary string (as {@link #idToToken} writes it). */
    public OptionalInt tokenToId(String token) {
        return vocab.id(token);
    }

    /** Whether {@code id} is a special added token (dropped by {@code decode(ids, true)}). */
    public boolean isSpecial(int id) {
        AddedToken declared = config.addedTokensDecoder().get(id);
        return vocab.isSpecial(id) || (declared != null && declared.special());
    }

    /** The added tokens of tokenizer.json, by id. */
    public List<AddedToken> addedTokens() {
        return vocab.added();
    }

    public OptionalInt bosId() {
        return bosId;
    }

    /** The id of tokenizer_config.json's eos_token. */
    public OptionalInt eosId() {
        return eosId;
    }

    /**
     * Ids that end generation: generation_config.json's eos_token_id (else config.json's), then the eos_token, no
     * duplicates.
     */
    public int[] eosIds() {
        return eosIds.clone();
    }

    public OptionalInt padId() {
        return padId;
    }

    public OptionalInt unkId() {
        return unkId;
    }

    public Optional<String> bosToken() {
        return config.bosToken();
    }

    public Optional<String> eosToken() {
        return config.eosToken();
    }

    /** Whether {@code encode(text, true)} starts with BOS. */
    public boolean addsBosToken() {
        return addsBos;
    }

    public TokenizerConfig config() {
        return config;
    }

    /** Frees the native tokenizer; the instance must not be used afterwards. */
    @Override
    public void close() {
        djl.close();
    }

    @Override
    public String toString() {
        return "Tokenizer[" + source + ", " + vocab.size() + " tokens]";
    }
}
