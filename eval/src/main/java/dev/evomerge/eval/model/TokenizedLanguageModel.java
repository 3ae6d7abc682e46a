package dev.evomerge.eval.model;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.engine.chat.ChatMessage;
import dev.evomerge.engine.LoglikelihoodRequest;
import dev.evomerge.engine.LoglikelihoodResult;
import dev.evomerge.engine.TokenKey;
import dev.evomerge.eval.python.PythonValues;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A {@link LanguageModel} over a tokenizer and a token-level backend, tokenizing as lm-eval's causal models do:
 * trailing whitespace of a context moves to the continuation; context and context+continuation are encoded
 * separately and the continuation is the tail of the whole encoding; an empty context becomes [BOS] (or [EOS]).
 * Requests are deduplicated, grouped by context (so each context is computed once and shared by all its
 * continuations), ordered longest first and sent in batches.
 */
public final class TokenizedLanguageModel implements LanguageModel {

    /** Renders chat turns with a model's chat template. */
    @FunctionalInterface
    public interface ChatTemplater {
        String render(List<ChatMessage> messages, boolean addGenerationPrompt);
    }

    private final String name;
    private final TextTokenizer tokenizer;
    private final TokenScorer scorer;
    private final boolean addSpecialTokens;
    private final int batchSize;
    private final Optional<ChatTemplater> chat;
    private final ContextWindow window;
    /** Tokens handed to the backend so far (see {@link #tokensScored()}). */
    private final java.util.concurrent.atomic.AtomicLong tokensScored = new java.util.concurrent.atomic.AtomicLong();

    /**
     * @param addSpecialTokens encode prompts with the tokenizer's special tokens (BOS for Llama tokenizers), as
     *                         lm-eval's hf backend does by default
     * @param batchSize        requests per backend call (whole context groups are kept together)
     */
    public TokenizedLanguageModel(String name, TextTokenizer tokenizer, TokenScorer scorer, boolean addSpecialTokens,
                                  int batchSize, Optional<ChatTemplater> chat) {
        this(name, tokenizer, scorer, addSpecialTokens, batchSize, chat, new ContextWindow(scorer.maxLength()));
    }

    /**
     * @param window how requests are fitted into the model's context (--max-length); at most what the backend can
     *               score, {@link TokenScorer#maxLength()}
     */
    public TokenizedLanguageModel(String name, TextTokenizer tokenizer, TokenScorer scorer, boolean addSpecialTokens,
                                  int batchSize, Optional<ChatTemplater> chat, ContextWindow window) {
        if (batchSize < 1) {
            throw EvomergeException.usage("batch size must be at least 1, got " + batchSize);
        }
        if (window.maxLength() > scorer.maxLength()) {
            throw EvomergeException.usage("--max-length " + window.maxLength() + " is more than model " + name
                    + " can score in one window (" + scorer.maxLength() + " tokens)");
        }
        this.window = window;
        this.name = name;
        this.tokenizer = tokenizer;
        this.scorer = scorer;
        this.addSpecialTokens = addSpecialTokens;
        this.batchSize = batchSize;
        this.chat = chat;
    }

    /**
     * Tokens this model handed its backend since it was built: context plus continuation of every distinct
     * loglikelihood request (rolling windows included) as fitted to the window, and prompt plus generated tokens of
     * every distinct generation. Requests sharing a context count it once each, as lm-eval counts them; a backend
     * that reuses a shared context computes fewer.
     */
    @Override
    public java.util.OptionalLong tokensScored() {
        return java.util.OptionalLong.of(tokensScored.get());
    }

    @Override
    public String name() {
        return name;
    }

    /** The token requests lm-eval would send for a text query (exposed for tests and the benchmark). */
    public LoglikelihoodRequest encode(LoglikelihoodQuery q) {
        return encode(q, new HashMap<>());
    }

    private LoglikelihoodRequest encode(LoglikelihoodQuery q, Map<String, int[]> contextCache) {
        String context = q.context();
        String continuation = q.continuation();
        if (context.isEmpty()) {
            int[] cont = tokenizer.encode(continuation, false);
            return cont.length == 0 ? null : new LoglikelihoodRequest(new int[] {prefixToken()}, cont);
        }
        String stripped = PythonValues.rstrip(context);
        if (stripped.length() < context.length()) {
            continuation = context.substring(stripped.length()) + continuation;
            context = stripped;
        }
        int[] whole = encodePrompt(context + continuation);
        String ctxKey = context;
        int[] ctx = contextCache.computeIfAbsent(ctxKey, this::encodePrompt);
        int[] cont = Arrays.copyOfRange(whole, Math.min(ctx.length, whole.length), whole.length);
        if (cont.length == 0) {
            return null;
        }
        if (ctx.length == 0) {
            ctx = new int[] {prefixToken()};
        }
        return new LoglikelihoodRequest(ctx, cont);
    }

    private int[] encodePrompt(String text) {
        if (!addSpecialTokens) {
            return tokenizer.encode(text, false);
        }
        // lm-eval skips adding BOS when the text (e.g. a rendered chat template) already starts with it.
        Optional<String> bos = tokenizer.bosToken();
        if (bos.isPresent() && !bos.get().isEmpty() && text.startsWith(bos.get())) {
            return tokenizer.encode(text, false);
        }
        return tokenizer.encode(text, true);
    }

    private int prefixToken() {
        if (tokenizer.bosTokenId().isPresent()) {
            return tokenizer.bosTokenId().getAsInt();
        }
        if (!tokenizer.eosTokenIds().isEmpty()) {
            return tokenizer.eosTokenIds().getFirst();
        }
        throw EvomergeException.usage("model " + name + " has neither a BOS nor an EOS token, which lm-eval-style "
                + "scoring needs for empty contexts and perplexity");
    }

    @Override
    public List<LoglikelihoodAnswer> loglikelihood(List<LoglikelihoodQuery> queries, Progress progress) {
        Map<String, int[]> contextCache = new HashMap<>();
        List<LoglikelihoodRequest> encoded = new ArrayList<>(queries.size());
        for (LoglikelihoodQuery q : queries) {
            encoded.add(encode(q, contextCache));
        }
        List<LoglikelihoodResult> results = score(encoded, progress, i -> describe(queries.get(i)));
        List<LoglikelihoodAnswer> out = new ArrayList<>(queries.size());
        for (LoglikelihoodResult r : results) {
            out.add(new LoglikelihoodAnswer(r.logprob(), r.isGreedy()));
        }
        return out;
    }

    private static String describe(LoglikelihoodQuery q) {
        String ctx = q.context();
        String tail = ctx.length() > 60 ? "..." + ctx.substring(ctx.length() - 60) : ctx;
        return "continuation " + PythonValues.stringRepr(q.continuation()) + " after context "
                + PythonValues.stringRepr(tail);
    }

    /**
     * Scores token requests (null = empty continuation, scored 0 and greedy): unique requests grouped by context,
     * longest first, whole groups per batch.
     */
    private List<LoglikelihoodResult> score(List<LoglikelihoodRequest> encoded, Progress progress,
                                            java.util.function.IntFunction<String> what) {
        // Every backend gets the requests already fitted to the window, so all of them score the same tokens.
        List<LoglikelihoodRequest> requests = new ArrayList<>(encoded.size());
        for (LoglikelihoodRequest r : encoded) {
            requests.add(r == null ? null : window.fit(r));
        }
        Map<LoglikelihoodRequest, Integer> unique = new LinkedHashMap<>();
        for (LoglikelihoodRequest r : requests) {
            if (r != null) {
                unique.putIfAbsent(r, unique.size());
            }
        }
        Map<TokenKey, List<LoglikelihoodRequest>> groups = new LinkedHashMap<>();
        for (LoglikelihoodRequest r : unique.keySet()) {
            groups.computeIfAbsent(new TokenKey(r.context()), k -> new ArrayList<>()).add(r);
        }
        List<List<LoglikelihoodRequest>> ordered = new ArrayList<>(groups.values());
        ordered.sort(Comparator.comparingInt((List<LoglikelihoodRequest> g) -> -maxLength(g)));
        Map<LoglikelihoodRequest, LoglikelihoodResult> answers = new HashMap<>();
        List<LoglikelihoodRequest> batch = new ArrayList<>();
        for (List<LoglikelihoodRequest> group : ordered) {
            batch.addAll(group);
            if (batch.size() >= batchSize) {
                run(batch, answers, progress);
                batch = new ArrayList<>();
            }
        }
        if (!batch.isEmpty()) {
            run(batch, answers, progress);
        }
        // requests that were duplicates or empty still count towards the caller's total
        int skipped = requests.size() - unique.size();
        if (skipped > 0) {
            progress.advance(skipped);
        }
        List<LoglikelihoodResult> out = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            LoglikelihoodRequest r = requests.get(i);
            LoglikelihoodResult res = r == null ? new LoglikelihoodResult(0.0, true) : answers.get(r);
            if (Double.isNaN(res.logprob()) || res.logprob() == Double.POSITIVE_INFINITY) {
                throw EvomergeException.runtime("model " + name + " returned a log-probability of " + res.logprob()
                        + " for the " + what.apply(i) + "; its weights are probably broken (e.g. an overflowed "
                        + "merge), so no metric is reported", null);
            }
            out.add(res);
        }
        return out;
    }

    private static int maxLength(List<LoglikelihoodRequest> group) {
        int ctx = group.getFirst().context().length;
        int max = 0;
        for (LoglikelihoodRequest r : group) {
            max = Math.max(max, r.continuation().length);
        }
        return ctx + max;
    }

    private void run(List<LoglikelihoodRequest> batch, Map<LoglikelihoodRequest, LoglikelihoodResult> answers,
                     Progress progress) {
        long tokens = 0;
        for (LoglikelihoodRequest r : batch) {
            tokens += r.context().length + r.continuation().length;
        }
        tokensScored.addAndGet(tokens);
        List<LoglikelihoodResult> results = scorer.loglikelihood(batch);
        if (results.size() != batch.size()) {
            throw EvomergeException.runtime("model " + name + " answered " + results.size() + " of "
                    + batch.size() + " loglikelihood requests", null);
        }
        for (int i = 0; i < batch.size(); i++) {
            answers.put(batch.get(i), results.get(i));
        }
        progress.advance(batch.size());
    }

    @Override
    public List<Double> loglikelihoodRolling(List<String> texts, Progress progress) {
        List<LoglikelihoodRequest> all = new ArrayList<>();
        List<int[]> spans = new ArrayList<>();
        int prefix = texts.isEmpty() ? 0 : prefixToken();
        for (String text : texts) {
            // lm-eval 0.4.13's hf backend encodes the document like any prompt (tok_encode: the tokenizer's special
            // tokens unless add_bos_token=False), so a Llama document is scored as [prefix] + [BOS] + document
            int[] tokens = encodePrompt(text);
            List<LoglikelihoodRequest> windows = window.rolling(tokens, prefix);
            spans.add(new int[] {all.size(), windows.size()});
            all.addAll(windows);
        }
        List<LoglikelihoodResult> results = score(all, progress, i -> "a perplexity window of a document");
        List<Double> out = new ArrayList<>(texts.size());
        for (int[] span : spans) {
            double sum = 0;
            for (int i = span[0]; i < span[0] + span[1]; i++) {
                sum += results.get(i).logprob();
            }
            out.add(sum);
        }
        return out;
    }

    @Override
    public List<String> generate(List<GenerationQuery> queries, Progress progress) {
        Map<GenKey, Integer> unique = new LinkedHashMap<>();
        List<TokenScorer.TokenGeneration> requests = new ArrayList<>();
        int[] slot = new int[queries.size()];
        for (int i = 0; i < queries.size(); i++) {
            GenerationQuery q = queries.get(i);
            int[] prompt = encodePrompt(q.context());
            if (prompt.length == 0) {
                prompt = new int[] {prefixToken()};
            }
            prompt = window.generationPrompt(prompt, q.maxGenToks(), name);
            // Sampled repeats differ by seed; greedy repeats are identical and computed once.
            GenKey key = new GenKey(new TokenKey(prompt), q);
            Integer at = unique.get(key);
            if (at == null) {
                at = requests.size();
                unique.put(key, at);
                requests.add(new TokenScorer.TokenGeneration(prompt, q));
            }
            slot[i] = at;
        }
        Integer[] order = new Integer[requests.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt(i -> -requests.get(i).prompt().length));
        String[] texts = new String[requests.size()];
        for (int start = 0; start < order.length; start += batchSize) {
            List<TokenScorer.TokenGeneration> batch = new ArrayList<>();
            for (int k = start; k < Math.min(order.length, start + batchSize); k++) {
                batch.add(requests.get(order[k]));
            }
            List<String> generated = scorer.generate(batch);
            for (int k = 0; k < batch.size(); k++) {
                int idx = order[start + k];
                texts[idx] = requests.get(idx).query().cut(generated.get(k));
                // the prompt is read and each generated token is read back once more
                tokensScored.addAndGet(batch.get(k).prompt().length
                        + tokenizer.encode(generated.get(k), false).length);
            }
            progress.advance(batch.size());
        }
        int skipped = queries.size() - requests.size();
        if (skipped > 0) {
            progress.advance(skipped);
        }
        List<String> out = new ArrayList<>(queries.size());
        for (int s : slot) {
            out.add(texts[s]);
        }
        return out;
    }

    @Override
    public String applyChatTemplate(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return chat.orElseThrow(() -> EvomergeException.usage("model " + name
                        + " has no chat template (tokenizer_config.json chat_template), so --apply-chat-template cannot be used"))
                .render(messages, addGenerationPrompt);
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> d = new LinkedHashMap<>(scorer.describe());
        // lm-eval records max_length in model_args when it is set; here it is always known and decides the numbers
        String args = String.valueOf(d.getOrDefault("model_args", ""));
        d.put("model_args", (args.isEmpty() ? "" : args + ",") + "max_length=" + window.maxLength());
        d.put("add_bos_token", addSpecialTokens);
        d.put("batch_size", batchSize);
        d.putAll(tokenizer.resultsInfo());
        d.put("max_length", window.maxLength());
        return d;
    }

    @Override
    public void close() {
        scorer.close();
    }

    private record GenKey(TokenKey prompt, GenerationQuery query) {
        @Override
        public boolean equals(Object o) {
            return o instanceof GenKey k && prompt.equals(k.prompt) && sameDecoding(query, k.query);
        }

        @Override
        public int hashCode() {
            return prompt.hashCode() * 31 + query.until().hashCode() + query.maxGenToks();
        }

        private static boolean sameDecoding(GenerationQuery a, GenerationQuery b) {
            boolean greedy = a.temperature() <= 0 && b.temperature() <= 0;
            return a.until().equals(b.until()) && a.maxGenToks() == b.maxGenToks()
                    && (greedy || a.equals(b.withContext(a.context())));
        }
    }
}
