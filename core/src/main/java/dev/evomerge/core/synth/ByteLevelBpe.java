package dev.evomerge.core.synth;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A byte-level BPE vocabulary (GPT-2 style, as the Hugging Face tokenizers library stores it) of an exact size:
 * ids 0-2 are {@code <unk>}, {@code <s>}, {@code </s>}; ids 3-258 are the 256 bytes in byte order (byte b is id
 * b + 3, spelled with GPT-2's printable byte alphabet); the rest are merges learned from a corpus, most frequent pair
 * first (ties broken by the pair's spelling, so training is deterministic). When the corpus runs out of pairs, digit
 * strings ("00".."99", then three digits, ...) fill the vocabulary.
 */
public record ByteLevelBpe(List<String> tokens, List<String> merges) {

    public static final String UNK = "<unk>";
    public static final String BOS = "<s>";
    public static final String EOS = "</s>";
    public static final int UNK_ID = 0;
    public static final int BOS_ID = 1;
    public static final int EOS_ID = 2;
    public static final int FIRST_BYTE_ID = 3;
    public static final int FIRST_MERGE_ID = FIRST_BYTE_ID + 256;

    /** GPT-2's pre-tokenizer split, which the tokenizers ByteLevel pre-tokenizer applies with use_regex. */
    private static final Pattern GPT2_SPLIT = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    public ByteLevelBpe {
        tokens = List.copyOf(tokens);
        merges = List.copyOf(merges);
    }

    /** The character GPT-2's byte-level alphabet uses for each byte value. */
    public static char[] byteAlphabet() {
        char[] map = new char[256];
        boolean[] printable = new boolean[256];
        for (int b = 0; b < 256; b++) {
            printable[b] = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        }
        int next = 0;
        for (int b = 0; b < 256; b++) {
            map[b] = printable[b] ? (char) b : (char) (256 + next++);
        }
        return map;
    }

    /** Learns merges from {@code corpus} until the vocabulary (special tokens included) has vocabSize entries. */
    public static ByteLevelBpe train(String corpus, int vocabSize) {
        if (vocabSize < FIRST_MERGE_ID) {
            throw new IllegalArgumentException("a byte-level vocabulary needs at least " + FIRST_MERGE_ID + " tokens");
        }
        char[] alphabet = byteAlphabet();
        List<String> tokens = new ArrayList<>(List.of(UNK, BOS, EOS));
        Map<String, Integer> ids = new HashMap<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(String.valueOf(alphabet[b]));
        }
        for (int i = 0; i < tokens.size(); i++) {
            ids.put(tokens.get(i), i);
        }
        List<String> merges = new ArrayList<>();
        Set<Long> merged = new HashSet<>();

        // distinct pre-tokens as byte-token id sequences, with their counts
        Map<String, Integer> wordCounts = new LinkedHashMap<>();
        Matcher m = GPT2_SPLIT.matcher(corpus);
        while (m.find()) {
            wordCounts.merge(m.group(), 1, Integer::sum);
        }
        List<int[]> words = new ArrayList<>();
        int[] counts = new int[wordCounts.size()];
        for (Map.Entry<String, Integer> e : wordCounts.entrySet()) {
            byte[] bytes = e.getKey().getBytes(StandardCharsets.UTF_8);
            int[] symbols = new int[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                symbols[i] = FIRST_BYTE_ID + (bytes[i] & 0xFF);
            }
            counts[words.size()] = e.getValue();
            words.add(symbols);
        }

        while (tokens.size() < vocabSize) {
            Map<Long, Integer> pairCounts = new HashMap<>();
            for (int w = 0; w < words.size(); w++) {
                int[] s = words.get(w);
                for (int i = 0; i + 1 < s.length; i++) {
                    pairCounts.merge(pair(s[i], s[i + 1]), counts[w], Integer::sum);
                }
            }
            long best = -1;
            int bestCount = 0;
            for (Map.Entry<Long, Integer> e : pairCounts.entrySet()) {
                long p = e.getKey();
                int c = e.getValue();
                if (c > bestCount || (c == bestCount && comparePairs(tokens, p, best) < 0)) {
                    best = p;
                    bestCount = c;
                }
            }
            if (bestCount == 0) {
                break;
            }
            int left = (int) (best >>> 32);
            int right = (int) best;
            int id = addMerge(tokens, ids, merges, merged, left, right);
            for (int w = 0; w < words.size(); w++) {
                words.set(w, replacePair(words.get(w), left, right, id));
            }
        }
        fillWithDigits(tokens, ids, merges, merged, vocabSize);
        if (tokens.size() != vocabSize) {
            throw new IllegalStateException("could not fill a vocabulary of " + vocabSize + " tokens");
        }
        return new ByteLevelBpe(tokens, merges);
    }

    /** Digit strings of growing length, each the merge of its prefix and its last digit. */
    private static void fillWithDigits(List<String> tokens, Map<String, Integer> ids, List<String> merges,
                                       Set<Long> merged, int vocabSize) {
        List<String> previous = new ArrayList<>();
        for (char d = '0'; d <= '9'; d++) {
            previous.add(String.valueOf(d));
        }
        while (tokens.size() < vocabSize && previous.getFirst().length() < 6) {
            List<String> current = new ArrayList<>();
            for (String prefix : previous) {
                for (char d = '0'; d <= '9'; d++) {
                    String word = prefix + d;
                    current.add(word);
                    if (tokens.size() >= vocabSize || ids.containsKey(word)) {
                        continue;
                    }
                    int left = ids.get(prefix);
                    int right = ids.get(String.valueOf(d));
                    if (!merged.contains(pair(left, right))) {
                        addMerge(tokens, ids, merges, merged, left, right);
                    }
                }
            }
            previous = current;
        }
    }

    private static int addMerge(List<String> tokens, Map<String, Integer> ids, List<String> merges, Set<Long> merged,
                                int left, int right) {
        String a = tokens.get(left);
        String b = tokens.get(right);
        merges.add(a + " " + b);
        merged.add(pair(left, right));
        Integer existing = ids.get(a + b);
        if (existing != null) {
            return existing;
        }
        int id = tokens.size();
        tokens.add(a + b);
        ids.put(a + b, id);
        return id;
    }

    private static long pair(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private static int comparePairs(List<String> tokens, long p, long q) {
        if (q < 0) {
            return -1;
        }
        int c = tokens.get((int) (p >>> 32)).compareTo(tokens.get((int) (q >>> 32)));
        return c != 0 ? c : tokens.get((int) p).compareTo(tokens.get((int) q));
    }

    private static int[] replacePair(int[] s, int left, int right, int id) {
        int[] out = null;
        int n = 0;
        for (int i = 0; i < s.length; i++) {
            if (i + 1 < s.length && s[i] == left && s[i + 1] == right) {
                if (out == null) {
                    out = new int[s.length - 1];
                    System.arraycopy(s, 0, out, 0, i);
                    n = i;
                }
                out[n++] = id;
                i++;
            } else if (out != null) {
                out[n++] = s[i];
            }
        }
        return out == null ? s : java.util.Arrays.copyOf(out, n);
    }

    public int vocabSize() {
        return tokens.size();
    }

    /** The tokenizer.json document (Hugging Face tokenizers format, merges as "left right" strings). */
    public ObjectNode tokenizerJson() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int id = 0; id < FIRST_BYTE_ID; id++) {
            ObjectNode t = added.addObject();
            t.put("id", id);
            t.put("content", tokens.get(id));
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putNull("normalizer");
        byteLevel(root.putObject("pre_tokenizer"), false);
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.add(special(f, BOS, 0));
        single.add(sequence(f, "A", 0));
        ArrayNode pair = post.putArray("pair");
        pair.add(special(f, BOS, 0));
        pair.add(sequence(f, "A", 0));
        pair.add(special(f, BOS, 1));
        pair.add(sequence(f, "B", 1));
        ObjectNode specials = post.putObject("special_tokens");
        ObjectNode bos = specials.putObject(BOS);
        bos.put("id", BOS);
        bos.putArray("ids").add(BOS_ID);
        bos.putArray("tokens").add(BOS);
        byteLevel(root.putObject("decoder"), true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.put("unk_token", UNK);
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int id = 0; id < tokens.size(); id++) {
            vocab.put(tokens.get(id), id);
        }
        ArrayNode mergeList = model.putArray("merges");
        merges.forEach(mergeList::add);
        return root;
    }

    /** A ByteLevel pre-tokenizer or decoder: offsets trimmed, GPT-2's split regex used. */
    private static void byteLevel(ObjectNode n, boolean addPrefixSpace) {
        n.put("type", "ByteLevel");
        n.put("add_prefix_space", addPrefixSpace);
        n.put("trim_offsets", true);
        n.put("use_regex", true);
    }

    private static ObjectNode special(JsonNodeFactory f, String token, int typeId) {
        return templatePiece(f, "SpecialToken", token, typeId);
    }

    private static ObjectNode sequence(JsonNodeFactory f, String id, int typeId) {
        return templatePiece(f, "Sequence", id, typeId);
    }

    /** One piece of a TemplateProcessing template: {@code {kind: {id, type_id}}}. */
    private static ObjectNode templatePiece(JsonNodeFactory f, String kind, String id, int typeId) {
        ObjectNode n = f.objectNode();
        ObjectNode s = n.putObject(kind);
        s.put("id", id);
        s.put("type_id", typeId);
        return n;
    }
}
