package dev.evomerge.eval.model;

import dev.evomerge.engine.CausalLanguageModel;
import dev.evomerge.engine.GenerationRequest;
import dev.evomerge.engine.LoglikelihoodRequest;
import dev.evomerge.engine.LoglikelihoodResult;
import dev.evomerge.engine.Sampling;
import dev.evomerge.engine.StopCondition;
import dev.evomerge.engine.TokenListener;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The in-JVM engine as a {@link TokenScorer}: loglikelihood requests go to the engine in one call so that equal
 * contexts are computed once and forked; generation decodes greedily (or samples with the request's seed) until an
 * EOS token, a stop string or max_gen_toks.
 *
 * @param name      what results record as the model ({@code pretrained=name})
 * @param ownsModel close the engine model with this scorer (false when the caller keeps using it, e.g. a resident
 *                  model that merges write into)
 */
public record EmbeddedScorer(CausalLanguageModel model, TextTokenizer tokenizer, String name, boolean ownsModel)
        implements TokenScorer {

    /** The model's positions (max_position_embeddings): the engine reads a window of that many tokens. */
    @Override
    public int maxLength() {
        return model.spec().contextLength();
    }

    @Override
    public List<LoglikelihoodResult> loglikelihood(List<LoglikelihoodRequest> requests) {
        return model.logLikelihood(requests);
    }

    @Override
    public List<String> generate(List<TokenGeneration> requests) {
        Set<Integer> eos = new LinkedHashSet<>(tokenizer.eosTokenIds());
        List<GenerationRequest> engineRequests = new ArrayList<>(requests.size());
        for (TokenGeneration g : requests) {
            GenerationQuery q = g.query();
            int room = maxLength() - g.prompt().length;
            Sampling sampling = q.temperature() > 0
                    ? new Sampling.Random(q.temperature(), q.topP() > 0 && q.topP() <= 1 ? q.topP() : 1.0,
                    Math.max(0, q.topK()), q.seed())
                    : Sampling.greedy();
            StopCondition stop = q.until().isEmpty() ? StopCondition.NEVER : generated -> {
                String text = tokenizer.decode(generated);
                for (String term : q.until()) {
                    if (!term.isEmpty() && text.contains(term)) {
                        return true;
                    }
                }
                return false;
            };
            engineRequests.add(new GenerationRequest(g.prompt(), Math.max(1, Math.min(q.maxGenToks(), room)), eos,
                    stop, sampling, 0, TokenListener.NONE));
        }
        List<String> out = new ArrayList<>(requests.size());
        for (var generation : model.generate(engineRequests)) {
            out.add(tokenizer.decode(generation.tokenIds()));
        }
        return out;
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("model", "embedded");
        d.put("model_args", "pretrained=" + name);
        return d;
    }

    @Override
    public void close() {
        if (ownsModel) {
            model.close();
        }
    }
}
