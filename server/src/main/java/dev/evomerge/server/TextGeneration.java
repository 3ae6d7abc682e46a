package dev.evomerge.server;

import dev.evomerge.engine.FinishReason;
import dev.evomerge.engine.GeneratedToken;
import dev.evomerge.engine.Generation;
import dev.evomerge.engine.GenerationRequest;
import dev.evomerge.engine.StopCondition;
import dev.evomerge.engine.TokenListener;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Plain generation for the endpoints: the engine decodes, this class applies EOS and stop strings to the text. */
final class TextGeneration {

    private final ServedModel served;

    TextGeneration(ServedModel served) {
        this.served = served;
    }

    /** Generates {@code maxTokens} (at least 1) tokens after each prompt, batched in one engine call. */
    List<Completion> generate(List<int[]> prompts, int maxTokens, SamplingParams sampling, List<String> stops,
                              boolean ignoreEos, int topLogprobs, long fallbackSeed) {
        return generate(prompts, maxTokens, sampling, stops, ignoreEos, topLogprobs, fallbackSeed,
                i -> TokenListener.NONE, () -> false);
    }

    /**
     * {@link #generate(List, int, SamplingParams, List, boolean, int, long)} telling {@code listeners.apply(i)} about
     * each token of prompt i as it is generated (streaming), and stopping every sequence once {@code cancelled}.
     */
    List<Completion> generate(List<int[]> prompts, int maxTokens, SamplingParams sampling, List<String> stops,
                              boolean ignoreEos, int topLogprobs, long fallbackSeed,
                              java.util.function.IntFunction<TokenListener> listeners,
                              java.util.function.BooleanSupplier cancelled) {
        Set<Integer> stopIds = ignoreEos ? Set.of() : served.eosIds();
        StopCondition condition = stops.isEmpty() ? generated -> cancelled.getAsBoolean()
                : generated -> cancelled.getAsBoolean()
                        || StopStrings.first(served.tokenizer().decode(generated, true), stops) >= 0;
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            TokenListener listener = listeners.apply(i);
            requests.add(new GenerationRequest(prompts.get(i), maxTokens, stopIds, condition,
                    sampling.toSampling(fallbackSeed, 0), topLogprobs, token -> {
                        served.countGenerated(1);
                        listener.onToken(token);
                    }));
        }
        List<Generation> generations = served.model().generate(requests);
        List<Completion> out = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            Generation g = generations.get(i);
            out.add(finish(prompts.get(i), g.tokens(), g.finishReason(), stops));
        }
        return out;
    }

    /** Turns the engine's tokens into the reported completion: drops an ending EOS, cuts at the first stop string. */
    Completion finish(int[] prompt, List<GeneratedToken> generated, FinishReason reason, List<String> stops) {
        List<GeneratedToken> tokens = generated;
        boolean stopped = reason == FinishReason.STOP_TOKEN || reason == FinishReason.STOP_CONDITION;
        if (reason == FinishReason.STOP_TOKEN && !tokens.isEmpty()) {
            tokens = tokens.subList(0, tokens.size() - 1);
        }
        String text = served.tokenizer().decode(ids(tokens), true);
        return cut(prompt, tokens, text, -1, stops, stopped, generated.size());
    }

    /**
     * The completion of {@code text} (the decoded {@code tokens}) cut at {@code end} (-1: not at all) and then before
     * the first stop string; tokens that start after the cut are left out.
     */
    Completion cut(int[] prompt, List<GeneratedToken> tokens, String text, int end, List<String> stops,
                   boolean stopped, int generatedCount) {
        List<String> pieces = pieces(prompt, ids(tokens));
        int cut = end;
        if (cut >= 0) {
            text = text.substring(0, cut);
        }
        int stopAt = StopStrings.first(text, stops);
        if (stopAt >= 0) {
            text = text.substring(0, stopAt);
            cut = stopAt;
            stopped = true;
        }
        if (cut >= 0) {
            int keep = 0;
            int offset = 0;
            while (keep < pieces.size() && offset < cut) {
                offset += pieces.get(keep).length();
                keep++;
            }
            tokens = tokens.subList(0, keep);
            pieces = pieces.subList(0, keep);
        }
        return new Completion(prompt, tokens, pieces, text, stopped, generatedCount);
    }

    static int[] ids(List<GeneratedToken> tokens) {
        return tokens.stream().mapToInt(GeneratedToken::token).toArray();
    }

    /** The text each generated token adds after the prompt and the tokens before it. */
    List<String> pieces(int[] prompt, int[] generated) {
        int[] all = concat(prompt, generated);
        List<String> out = new ArrayList<>(generated.length);
        for (int k = 0; k < generated.length; k++) {
            out.add(served.tokenizer().piece(all, prompt.length + k, generated[k]));
        }
        return out;
    }

    static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
