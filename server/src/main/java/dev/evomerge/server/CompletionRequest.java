package dev.evomerge.server;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * A validated {@code POST /v1/completions} body.
 *
 * @param logprobs          top-N alternatives per token, or empty for no logprobs
 * @param addSpecialTokens  whether text prompts get the tokenizer's BOS/EOS (vLLM's extension field, default true)
 * @param ignoreEos         keep generating past EOS (vLLM's extension field)
 */
record CompletionRequest(List<Prompt> prompts, int maxTokens, boolean echo, OptionalInt logprobs,
                         SamplingParams sampling, List<String> stop, boolean addSpecialTokens, boolean ignoreEos) {

    /** The most alternatives a request may ask for per token (vLLM's default limit). */
    static final int MAX_LOGPROBS = 20;

    CompletionRequest {
        prompts = List.copyOf(prompts);
        stop = List.copyOf(stop);
    }

    static CompletionRequest parse(JsonNode body, int vocabSize) {
        Fields f = new Fields(body);
        f.string("model");
        List<Prompt> prompts = prompts(f.raw("prompt"), vocabSize);
        int maxTokens = f.integer("max_tokens", 0, Integer.MAX_VALUE).orElse(16);
        boolean echo = f.bool("echo").orElse(false);
        OptionalInt logprobs = f.integer("logprobs", 0, MAX_LOGPROBS);
        SamplingParams sampling = SamplingParams.read(f);
        List<String> stop = f.stop("stop");
        f.integer("n", 1, 1);
        f.integer("best_of", 1, 1);
        StreamOptions.parse(body); // stream and stream_options: checked here, read by the server
        f.requireNeutral("presence_penalty", 0);
        f.requireNeutral("frequency_penalty", 0);
        f.requireEmptyObject("logit_bias");
        if (f.has("suffix")) {
            throw ApiException.invalid("'suffix' is not supported by this server.", "suffix");
        }
        boolean addSpecial = f.bool("add_special_tokens").orElse(true);
        boolean ignoreEos = f.bool("ignore_eos").orElse(false);
        return new CompletionRequest(prompts, maxTokens, echo, logprobs, sampling, stop, addSpecial, ignoreEos);
    }

    /** A string, a list of token ids, or a list of either (one choice each). */
    static List<Prompt> prompts(JsonNode v, int vocabSize) {
        if (v == null) {
            throw ApiException.invalid("'prompt' is required.", "prompt");
        }
        List<Prompt> out = new ArrayList<>();
        if (v.isTextual()) {
            out.add(new Prompt.Text(v.asText()));
            return out;
        }
        if (!v.isArray() || v.isEmpty()) {
            throw ApiException.invalid("'prompt' must be a string, a list of token ids, or a non-empty list of"
                    + " strings or of token-id lists.", "prompt");
        }
        if (v.get(0).isNumber()) {
            out.add(new Prompt.Tokens(tokenIds(v, vocabSize, "prompt")));
            return out;
        }
        int i = 0;
        for (JsonNode p : v) {
            String where = "prompt[" + i++ + "]";
            if (p.isTextual()) {
                out.add(new Prompt.Text(p.asText()));
            } else if (p.isArray() && !p.isEmpty() && p.get(0).isNumber()) {
                out.add(new Prompt.Tokens(tokenIds(p, vocabSize, where)));
            } else {
                throw ApiException.invalid("'" + where + "' must be a string or a non-empty list of token ids.",
                        "prompt");
            }
        }
        return out;
    }

    private static int[] tokenIds(JsonNode array, int vocabSize, String where) {
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode t = array.get(i);
            if (!t.isIntegralNumber() || !t.canConvertToInt()) {
                throw ApiException.invalid("'" + where + "' must list integer token ids; item " + i + " is "
                        + Fields.kind(t) + ".", "prompt");
            }
            int id = t.intValue();
            if (id < 0 || id >= vocabSize) {
                throw ApiException.invalid("'" + where + "' item " + i + " is token id " + id
                        + ", outside the model's vocabulary of " + vocabSize + ".", "prompt");
            }
            ids[i] = id;
        }
        return ids;
    }
}
