package dev.evomerge.engine.infer;

import dev.evomerge.engine.FinishReason;
import dev.evomerge.engine.GeneratedToken;
import dev.evomerge.engine.Generation;
import dev.evomerge.engine.GenerationRequest;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/** Batched autoregressive decoding: prompts are prefilled together, then every live sequence advances one token per pass. */
final class Generator {

    private final ChunkBatcher batcher;
    private final Supplier<KvCache> newCache;
    private final int vocab;
    private final int contextLength;

    Generator(ChunkBatcher batcher, Supplier<KvCache> newCache, int vocab, int contextLength) {
        this.batcher = batcher;
        this.newCache = newCache;
        this.vocab = vocab;
        this.contextLength = contextLength;
    }

    /** One request's progress. */
    private static final class Sequence {
        final GenerationRequest request;
        final KvCache cache;
        final TokenSampler sampler;
        final List<GeneratedToken> tokens = new ArrayList<>();
        FinishReason finish;

        Sequence(GenerationRequest request, KvCache cache) {
            this.request = request;
            this.cache = cache;
            this.sampler = new TokenSampler(request.sampling());
        }

        int[] generatedIds() {
            return tokens.stream().mapToInt(GeneratedToken::token).toArray();
        }
    }

    List<Generation> generate(List<GenerationRequest> requests) {
        List<Sequence> seqs = new ArrayList<>();
        List<ForwardPass.Chunk> prompts = new ArrayList<>();
        for (GenerationRequest r : requests) {
            Sequence s = new Sequence(r, newCache.get());
            seqs.add(s);
            int[] prompt = r.prompt();
            prompts.add(new ForwardPass.Chunk(s.cache, prompt, prompt.length - 1));
        }
        batcher.run(prompts, (c, token, logits, off) -> choose(seqs.get(c), logits, off));
        while (true) {
            List<Sequence> live = new ArrayList<>();
            List<ForwardPass.Chunk> step = new ArrayList<>();
            for (Sequence s : seqs) {
                if (s.finish == null) {
                    live.add(s);
                    step.add(new ForwardPass.Chunk(s.cache, new int[]{s.tokens.getLast().token()}, 0));
                }
            }
            if (live.isEmpty()) {
                break;
            }
            batcher.run(step, (c, token, logits, off) -> choose(live.get(c), logits, off));
        }
        List<Generation> out = new ArrayList<>();
        for (Sequence s : seqs) {
            out.add(new Generation(s.tokens, s.finish));
        }
        return out;
    }

    /** Picks the next token from a logit row and decides whether the sequence is done. */
    private void choose(Sequence s, float[] logits, int off) {
        LogitRow row = new LogitRow(logits, off, vocab);
        int token = s.sampler.next(row, vocab);
        GeneratedToken g = new GeneratedToken(token, row.logprob(token), row.top(s.request.topLogprobs()));
        s.tokens.add(g);
        s.request.listener().onToken(g);
        if (s.request.stopTokenIds().contains(token)) {
            s.finish = FinishReason.STOP_TOKEN;
        } else if (s.request.stop().shouldStop(s.generatedIds())) {
            s.finish = FinishReason.STOP_CONDITION;
        } else if (s.tokens.size() >= s.request.maxTokens()) {
            s.finish = FinishReason.LENGTH;
        } else if (s.cache.length() >= contextLength) {
            s.finish = FinishReason.CONTEXT_FULL;
        }
    }
}
