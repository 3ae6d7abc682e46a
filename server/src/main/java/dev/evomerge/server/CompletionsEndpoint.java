package dev.evomerge.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.engine.FinishReason;
import dev.evomerge.engine.GeneratedToken;
import dev.evomerge.engine.SequenceLogprobs;
import dev.evomerge.engine.TokenScore;
import dev.evomerge.engine.tokenizer.Encoding;
import dev.evomerge.engine.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /v1/completions}: prompts as text or token ids, optional echo of the prompt with its per-token
 * log-probabilities (what lm-eval's local-completions backend reads), generation with stop strings.
 */
final class CompletionsEndpoint implements GenerationEndpoint<CompletionRequest> {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final ServedModel served;
    private final TextGeneration generation;

    CompletionsEndpoint(ServedModel served) {
        this.served = served;
        this.generation = new TextGeneration(served);
    }

    /** Validates a body on the request's own thread, including text prompts too long to tokenize. */
    @Override
    public CompletionRequest parse(JsonNode body) {
        CompletionRequest req = CompletionRequest.parse(body, served.vocabSize());
        for (int i = 0; i < req.prompts().size(); i++) {
            if (req.prompts().get(i) instanceof Prompt.Text t) {
                served.promptBudget().check(t.text(), req.prompts().size() == 1 ? "The prompt" : "Prompt " + i,
                        "prompt");
            }
        }
        return req;
    }

    /** A prompt after tokenization, with what echo shows. */
    private record PromptTokens(int[] ids, String text, String[] pieces, int[] offsets) {
    }

    @Override
    public ObjectNode handle(CompletionRequest req, long fallbackSeed, String id, long created) {
        List<PromptTokens> prompts = prompts(req);
        List<int[]> ids = prompts.stream().map(PromptTokens::ids).toList();
        int topN = req.logprobs().orElse(0);
        boolean promptLogprobs = req.echo() && req.logprobs().isPresent();
        // lm-eval's loglikelihood call (echo, logprobs, max_tokens 1, temperature 0): the greedy next token is the
        // first entry of the prompt pass's last top list, so one forward pass serves both.
        boolean oneGreedyToken = promptLogprobs && req.maxTokens() == 1 && req.sampling().greedy();
        List<SequenceLogprobs> scored = promptLogprobs
                ? served.model().tokenLogprobs(ids, oneGreedyToken ? Math.max(topN, 1) : topN) : null;
        List<Completion> completions;
        if (req.maxTokens() == 0) {
            completions = ids.stream().map(p -> generation.finish(p, List.of(), FinishReason.LENGTH, List.of()))
                    .toList();
        } else if (oneGreedyToken) {
            completions = new ArrayList<>();
            for (int i = 0; i < ids.size(); i++) {
                TokenScore next = scored.get(i).topAfter().getLast().getFirst();
                List<TokenScore> last = scored.get(i).topAfter().getLast();
                List<TokenScore> top = last.subList(0, Math.min(topN, last.size()));
                boolean eos = !req.ignoreEos() && served.eosIds().contains(next.token());
                completions.add(generation.finish(ids.get(i), List.of(new GeneratedToken(next.token(),
                        next.logprob(), top)), eos ? FinishReason.STOP_TOKEN : FinishReason.LENGTH, req.stop()));
            }
        } else {
            completions = generation.generate(ids, req.maxTokens(), req.sampling(), req.stop(), req.ignoreEos(),
                    topN, fallbackSeed);
        }

        ObjectNode response = GenerationEndpoint.head(id, "text_completion", created, served);
        ArrayNode choices = response.putArray("choices");
        int promptTokens = 0;
        int completionTokens = 0;
        for (int i = 0; i < prompts.size(); i++) {
            PromptTokens p = prompts.get(i);
            Completion c = completions.get(i);
            promptTokens += p.ids.length;
            completionTokens += c.generatedTokens();
            ObjectNode choice = choices.addObject();
            choice.put("index", i);
            choice.put("text", req.echo() ? p.text + c.text() : c.text());
            if (req.logprobs().isPresent()) {
                choice.set("logprobs", logprobs(req.echo() ? p : null, scored == null ? null : scored.get(i), c,
                        topN));
            } else {
                choice.putNull("logprobs");
            }
            choice.put("finish_reason", c.finishReason());
        }
        ObjectNode usage = response.putObject("usage");
        usage.put("prompt_tokens", promptTokens);
        usage.put("completion_tokens", completionTokens);
        usage.put("total_tokens", promptTokens + completionTokens);
        return response;
    }

    /**
     * {@code stream: true}: a chunk per piece of text as the tokens are generated (with their logprobs when asked),
     * then per choice a chunk with its finish_reason, the usage chunk when asked, and [DONE]. A client that goes
     * away stops the generation.
     */
    @Override
    public void stream(CompletionRequest req, StreamOptions options, long fallbackSeed, String id, long created,
                SseWriter out) {
        if (req.echo()) {
            throw ApiException.invalid("'echo' cannot be combined with 'stream': true.", "echo");
        }
        List<int[]> ids = prompts(req).stream().map(PromptTokens::ids).toList();
        int topN = req.logprobs().orElse(0);
        List<TextStream> streams = new ArrayList<>();
        for (int[] p : ids) {
            streams.add(new TextStream(served, generation, p, req.stop()));
        }
        StreamChunks chunks = new StreamChunks(served, id, created, "text_completion", options.includeUsage());
        List<Completion> completions = req.maxTokens() == 0
                ? ids.stream().map(p -> generation.finish(p, List.of(), FinishReason.LENGTH, List.of())).toList()
                : generation.generate(ids, req.maxTokens(), req.sampling(), req.stop(), req.ignoreEos(), topN,
                        fallbackSeed, i -> token -> {
                            TextStream.Delta d = streams.get(i).add(token);
                            if (!d.isEmpty()) {
                                out.send(chunks.completion(i, d, req.logprobs(), null));
                            }
                        }, out::gone);
        if (out.gone()) {
            return;
        }
        int promptTokens = 0;
        int completionTokens = 0;
        for (int i = 0; i < ids.size(); i++) {
            Completion c = completions.get(i);
            promptTokens += ids.get(i).length;
            completionTokens += c.generatedTokens();
            out.send(chunks.completion(i, streams.get(i).finish(c), req.logprobs(), c.finishReason()));
        }
        if (options.includeUsage()) {
            out.send(chunks.usage(promptTokens, completionTokens));
        }
        out.done();
    }

    /** Tokenizes and checks every prompt of the request against the context length. */
    private List<PromptTokens> prompts(CompletionRequest req) {
        List<PromptTokens> prompts = new ArrayList<>();
        for (int i = 0; i < req.prompts().size(); i++) {
            PromptTokens p = tokenize(req.prompts().get(i), req.addSpecialTokens(), req.echo(),
                    req.echo() && req.logprobs().isPresent());
            String where = req.prompts().size() == 1 ? "The prompt" : "Prompt " + i;
            if (p.ids.length == 0) {
                throw ApiException.invalid(where + " has no tokens.", "prompt");
            }
            int total = p.ids.length + req.maxTokens();
            if (total > served.contextLength()) {
                throw ApiException.invalid("This model's maximum context length is " + served.contextLength()
                        + " tokens, but " + where.toLowerCase(java.util.Locale.ROOT) + " has " + p.ids.length
                        + " tokens and max_tokens is " + req.maxTokens() + " (" + total + " in all).", "prompt",
                        "context_length_exceeded");
            }
            prompts.add(p);
        }
        return prompts;
    }

    /** Tokenizes a prompt; the echoed text and the per-token pieces only when the response shows them. */
    private PromptTokens tokenize(Prompt prompt, boolean addSpecialTokens, boolean echo, boolean pieces) {
        Tokenizer tok = served.tokenizer();
        return switch (prompt) {
            case Prompt.Text t -> {
                Encoding e = tok.encodeWithOffsets(t.text(), addSpecialTokens);
                int[] ids = e.ids();
                yield new PromptTokens(ids, t.text(), pieces ? tok.pieces(ids) : null, e.starts());
            }
            case Prompt.Tokens t -> {
                int[] ids = t.ids();
                String[] p = pieces ? tok.pieces(ids) : null;
                int[] offsets = new int[ids.length];
                int at = 0;
                for (int k = 0; p != null && k < ids.length; k++) {
                    offsets[k] = at;
                    at += p[k].codePointCount(0, p[k].length());
                }
                yield new PromptTokens(ids, echo ? tok.decode(ids) : "", p, offsets);
            }
        };
    }

    /**
     * The legacy completions logprobs object. With echo the prompt's tokens come first (the first has no
     * logprob: null); each top_logprobs entry maps token text to logprob and includes the chosen token.
     */
    private ObjectNode logprobs(PromptTokens echoed, SequenceLogprobs scored, Completion c, int topN) {
        ObjectNode lp = JSON.objectNode();
        ArrayNode tokens = lp.putArray("tokens");
        ArrayNode tokenLogprobs = lp.putArray("token_logprobs");
        ArrayNode topLogprobs = lp.putArray("top_logprobs");
        ArrayNode offsets = lp.putArray("text_offset");
        Tokenizer tok = served.tokenizer();
        int base = 0;
        if (echoed != null) {
            int[] ids = echoed.ids;
            double[] values = scored.tokenLogprobs();
            for (int j = 0; j < ids.length; j++) {
                tokens.add(echoed.pieces[j]);
                offsets.add(echoed.offsets[j]);
                if (j == 0) {
                    tokenLogprobs.addNull();
                    topLogprobs.addNull();
                    continue;
                }
                tokenLogprobs.add(finite(values[j]));
                List<TokenScore> top = scored.topAfter().get(j - 1);
                topLogprobs.add(topDict(ids, j, top.subList(0, Math.min(topN, top.size())), ids[j], values[j], tok));
            }
            base = echoed.text.codePointCount(0, echoed.text.length());
        }
        int[] context = TextGeneration.concat(c.prompt(), TextGeneration.ids(c.tokens()));
        int at = base;
        for (int k = 0; k < c.tokens().size(); k++) {
            GeneratedToken g = c.tokens().get(k);
            String piece = c.pieces().get(k);
            tokens.add(piece);
            offsets.add(at);
            at += piece.codePointCount(0, piece.length());
            tokenLogprobs.add(finite(g.logprob()));
            topLogprobs.add(topDict(context, c.prompt().length + k, g.top(), g.token(), g.logprob(), tok));
        }
        return lp;
    }

    /**
     * {token text: logprob} for the alternatives at one position plus the chosen token, whose value is exactly its
     * token_logprobs value (lm-eval's is_greedy compares the two with ==). Texts two ids share keep the larger value.
     */
    static ObjectNode topDict(int[] context, int position, List<TokenScore> top, int chosen,
                                      double chosenLogprob, Tokenizer tok) {
        Map<String, Double> dict = new LinkedHashMap<>();
        boolean chosenListed = false;
        for (TokenScore t : top) {
            double v = t.token() == chosen ? chosenLogprob : t.logprob();
            chosenListed |= t.token() == chosen;
            dict.merge(tok.piece(context, position, t.token()), v, Math::max);
        }
        if (!chosenListed) {
            dict.merge(tok.piece(context, position, chosen), chosenLogprob, Math::max);
        }
        ObjectNode out = JSON.objectNode();
        dict.forEach((k, v) -> out.put(k, finite(v)));
        return out;
    }

    /** JSON has no infinities: -inf (an impossible token) is written as -9999, as vLLM does. */
    static double finite(double v) {
        return Double.isInfinite(v) || Double.isNaN(v) ? -9999.0 : v;
    }
}
