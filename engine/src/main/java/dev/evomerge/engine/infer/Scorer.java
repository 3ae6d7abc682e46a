package dev.evomerge.engine.infer;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.engine.LoglikelihoodRequest;
import dev.evomerge.engine.LoglikelihoodResult;
import dev.evomerge.engine.RollingLoglikelihood;
import dev.evomerge.engine.RollingWindows;
import dev.evomerge.engine.SequenceLogprobs;
import dev.evomerge.engine.TokenKey;
import dev.evomerge.engine.TokenScore;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** lm-eval scoring on token ids: loglikelihood (with shared-context reuse), per-token logprobs, rolling windows. */
final class Scorer {

    private final ChunkBatcher batcher;
    private final Supplier<KvCache> newCache;
    private final int vocab;
    /** Tokens of context kept cached at once while their continuations are scored. */
    private final int cacheBudget;

    Scorer(ChunkBatcher batcher, Supplier<KvCache> newCache, int vocab, int cacheBudget) {
        this.batcher = batcher;
        this.newCache = newCache;
        this.vocab = vocab;
        this.cacheBudget = cacheBudget;
    }

    /** A context and the requests (by index) that continue it. */
    private record Group(int[] context, List<Integer> requests) {
    }

    List<LoglikelihoodResult> logLikelihood(List<LoglikelihoodRequest> requests, int maxLength) {
        int n = requests.size();
        int[][] conts = new int[n][];
        Map<TokenKey, Group> groups = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            LoglikelihoodRequest r = requests.get(i);
            int[] cont = r.continuation();
            if (cont.length > maxLength) {
                throw EvomergeException.usage("A loglikelihood continuation has " + cont.length
                        + " tokens, more than the model's context length " + maxLength + ".");
            }
            int[] ctx = r.fittedTo(maxLength).context();
            conts[i] = cont;
            int index = i;
            groups.computeIfAbsent(new TokenKey(ctx), k -> new Group(k.ids(), new ArrayList<>())).requests().add(index);
        }
        double[] logprob = new double[n];
        boolean[] greedy = new boolean[n];
        Arrays.fill(greedy, true);
        List<Group> batch = new ArrayList<>();
        int batchTokens = 0;
        for (Group g : groups.values()) {
            if (!batch.isEmpty() && batchTokens + g.context().length > cacheBudget) {
                scoreGroups(batch, conts, logprob, greedy);
                batch.clear();
                batchTokens = 0;
            }
            batch.add(g);
            batchTokens += g.context().length;
        }
        if (!batch.isEmpty()) {
            scoreGroups(batch, conts, logprob, greedy);
        }
        List<LoglikelihoodResult> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(new LoglikelihoodResult(logprob[i], greedy[i]));
        }
        return out;
    }

    /** Prefills each group's context once, then scores every continuation from a fork of that cache. */
    private void scoreGroups(List<Group> groups, int[][] conts, double[] logprob, boolean[] greedy) {
        List<ForwardPass.Chunk> contexts = new ArrayList<>();
        for (Group g : groups) {
            contexts.add(new ForwardPass.Chunk(newCache.get(), g.context(), g.context().length - 1));
        }
        batcher.run(contexts, (c, token, logits, off) -> {
            LogitRow row = new LogitRow(logits, off, vocab);
            int argmax = row.argmax();
            for (int req : groups.get(c).requests()) {
                int first = conts[req][0];
                logprob[req] += row.logprob(first);
                greedy[req] &= argmax == first;
            }
        });
        List<ForwardPass.Chunk> continuations = new ArrayList<>();
        List<Integer> owners = new ArrayList<>();
        for (int gi = 0; gi < groups.size(); gi++) {
            KvCache shared = contexts.get(gi).cache();
            for (int req : groups.get(gi).requests()) {
                int[] cont = conts[req];
                if (cont.length > 1) {
                    continuations.add(new ForwardPass.Chunk(shared.fork(), Arrays.copyOf(cont, cont.length - 1), 0));
                    owners.add(req);
                }
            }
        }
        batcher.run(continuations, (c, token, logits, off) -> {
            int req = owners.get(c);
            int next = conts[req][token + 1];
            LogitRow row = new LogitRow(logits, off, vocab);
            logprob[req] += row.logprob(next);
            greedy[req] &= row.argmax() == next;
        });
    }

    List<SequenceLogprobs> tokenLogprobs(List<int[]> sequences, int topN) {
        List<SequenceLogprobs> out = new ArrayList<>(sequences.size());
        int start = 0;
        while (start < sequences.size()) {
            int end = start;
            int tokens = 0;
            do {
                tokens += sequences.get(end).length;
                end++;
            } while (end < sequences.size() && tokens + sequences.get(end).length <= cacheBudget);
            List<int[]> part = sequences.subList(start, end);
            List<ForwardPass.Chunk> chunks = new ArrayList<>();
            double[][] lps = new double[part.size()][];
            List<List<List<TokenScore>>> tops = new ArrayList<>();
            for (int i = 0; i < part.size(); i++) {
                int[] ids = part.get(i);
                chunks.add(new ForwardPass.Chunk(newCache.get(), ids, 0));
                lps[i] = new double[ids.length];
                lps[i][0] = Double.NaN;
                List<List<TokenScore>> t = new ArrayList<>();
                for (int j = 0; j < ids.length; j++) {
                    t.add(List.of());
                }
                tops.add(t);
            }
            batcher.run(chunks, (c, token, logits, off) -> {
                int[] ids = part.get(c);
                LogitRow row = new LogitRow(logits, off, vocab);
                if (token + 1 < ids.length) {
                    lps[c][token + 1] = row.logprob(ids[token + 1]);
                }
                tops.get(c).set(token, row.top(topN));
            });
            for (int i = 0; i < part.size(); i++) {
                out.add(new SequenceLogprobs(part.get(i), lps[i], tops.get(i)));
            }
            start = end;
        }
        return out;
    }

    /** lm-eval's get_rolling_token_windows(context_len=1) + make_disjoint_window, scored as loglikelihood. */
    RollingLoglikelihood rolling(int[] ids, int prefixToken, int maxLength) {
        if (ids.length == 0) {
            return new RollingLoglikelihood(0, 0);
        }
        List<LoglikelihoodRequest> windows = RollingWindows.of(ids, prefixToken, maxLength);
        double sum = 0;
        for (LoglikelihoodResult r : logLikelihood(windows, maxLength)) {
            sum += r.logprob();
        }
        return new RollingLoglikelihood(sum, ids.length);
    }
}
