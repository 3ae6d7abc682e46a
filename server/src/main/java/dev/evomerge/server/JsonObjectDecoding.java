package dev.evomerge.server;

import dev.evomerge.engine.GeneratedToken;
import dev.evomerge.engine.Generation;
import dev.evomerge.engine.GenerationRequest;
import dev.evomerge.engine.StopCondition;
import dev.evomerge.engine.TokenListener;
import dev.evomerge.engine.TokenScore;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Generation for {@code response_format: {"type": "json_object"}}: the output is kept a prefix of one JSON object.
 * The engine generates freely until the text stops being such a prefix (or the model emits EOS or another special
 * token, which would end or hide output before the object is complete); that token
 * is replaced by the most likely token that keeps the text valid (greedy) or one drawn among the valid tokens of the
 * {@value #CANDIDATES} most likely, weighted by their temperature-scaled probabilities (sampling), and generation
 * resumes. It ends as soon as the object is complete. If {@code max_tokens} runs out first, the content is an
 * unfinished object and finish_reason is {@code length}.
 */
final class JsonObjectDecoding {

    static final int CANDIDATES = 64;

    private final ServedModel served;
    private final TextGeneration text;

    JsonObjectDecoding(ServedModel served, TextGeneration text) {
        this.served = served;
        this.text = text;
    }

    Completion generate(int[] prompt, int maxTokens, SamplingParams sampling, List<String> stops, int topLogprobs,
                        long fallbackSeed) {
        Set<Integer> eos = served.eosIds();
        List<GeneratedToken> out = new ArrayList<>();
        int engineTokens = 0;
        int restart = 0;
        boolean complete = false;
        while (out.size() < maxTokens) {
            int[] before = TextGeneration.ids(out);
            StopCondition leaveOnInvalid = generated -> !textual(generated[generated.length - 1])
                    || !(check(TextGeneration.concat(before, generated)) instanceof JsonPrefix.Partial);
            Generation g = served.model().generate(new GenerationRequest(TextGeneration.concat(prompt, before),
                    maxTokens - out.size(), Set.of(), leaveOnInvalid, sampling.toSampling(fallbackSeed, restart),
                    topLogprobs, TokenListener.NONE));
            engineTokens += g.tokens().size();
            served.countGenerated(g.tokens().size());
            out.addAll(g.tokens());
            JsonPrefix.Result r = check(TextGeneration.ids(out));
            if (r instanceof JsonPrefix.Complete) {
                complete = true;
                break;
            }
            boolean endedEarly = !out.isEmpty() && !textual(out.getLast().token());
            if (!(r instanceof JsonPrefix.Invalid) && !endedEarly) {
                break; // still a prefix: max_tokens or the context length ran out
            }
            out.removeLast();
            GeneratedToken fix = bestValidToken(prompt, out, sampling, fallbackSeed, restart, topLogprobs, eos);
            if (fix == null) {
                break; // the vocabulary cannot continue this text as JSON
            }
            out.add(fix);
            restart++;
            if (check(TextGeneration.ids(out)) instanceof JsonPrefix.Complete) {
                complete = true;
                break;
            }
        }
        String decoded = served.tokenizer().decode(TextGeneration.ids(out), true);
        int end = JsonPrefix.check(decoded) instanceof JsonPrefix.Complete c ? c.end() : -1;
        return text.cut(prompt, out, decoded, end, stops, complete, Math.max(engineTokens, out.size()));
    }

    /** Whether a token shows up in the text: special tokens (EOS, BOS, ...) and ids with no token do not. */
    private boolean textual(int token) {
        return served.tokenizer().hasId(token) && !served.tokenizer().isSpecial(token);
    }

    /**
     * Checks the bytes the tokens produce, not their decoded text: a token ending inside a multi-byte character
     * decodes to U+FFFD, which would hide whether the bytes can still become valid UTF-8 (and valid JSON).
     */
    private JsonPrefix.Result check(int[] generated) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        for (int id : generated) {
            byte[] b = served.tokenizer().tokenBytes(id);
            if (b == null) {
                return new JsonPrefix.Invalid(0); // a token whose bytes are unknown cannot be vouched for
            }
            bytes.writeBytes(b);
        }
        return JsonPrefix.check(bytes.toByteArray());
    }

    private GeneratedToken bestValidToken(int[] prompt, List<GeneratedToken> out, SamplingParams sampling,
                                          long fallbackSeed, int restart, int topLogprobs, Set<Integer> eos) {
        int[] before = TextGeneration.ids(out);
        int[] context = TextGeneration.concat(prompt, before);
        for (int k : new int[] {Math.min(CANDIDATES, served.vocabSize()), served.vocabSize()}) {
            List<TokenScore> ranked = served.model().tokenLogprobs(List.of(context), k).getFirst().topAfter().getLast();
            List<TokenScore> valid = new ArrayList<>();
            for (TokenScore t : ranked) {
                if (eos.contains(t.token()) || !textual(t.token())) {
                    continue;
                }
                if (!(check(TextGeneration.concat(before, new int[] {t.token()})) instanceof JsonPrefix.Invalid)) {
                    valid.add(t);
                    if (sampling.greedy() || k > CANDIDATES) {
                        break;
                    }
                }
            }
            if (!valid.isEmpty()) {
                TokenScore pick = sampling.greedy() || valid.size() == 1 ? valid.getFirst()
                        : draw(valid, sampling, fallbackSeed, restart);
                return new GeneratedToken(pick.token(), pick.logprob(),
                        ranked.subList(0, Math.min(topLogprobs, ranked.size())));
            }
        }
        return null;
    }

    private static TokenScore draw(List<TokenScore> valid, SamplingParams sampling, long fallbackSeed, int restart) {
        double max = valid.getFirst().logprob();
        double[] w = new double[valid.size()];
        double sum = 0;
        for (int i = 0; i < w.length; i++) {
            w[i] = Math.exp((valid.get(i).logprob() - max) / sampling.temperature());
            sum += w[i];
        }
        SplittableRandom rnd = new SplittableRandom(sampling.seed().orElse(fallbackSeed) * 0x9E3779B97F4A7C15L
                + restart);
        double u = rnd.nextDouble() * sum;
        for (int i = 0; i < w.length; i++) {
            u -= w[i];
            if (u < 0) {
                return valid.get(i);
            }
        }
        return valid.getLast();
    }
}
