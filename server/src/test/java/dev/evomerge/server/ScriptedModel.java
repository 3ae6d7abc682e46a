package dev.evomerge.server;

import dev.evomerge.core.tensor.TensorSink;
import dev.evomerge.core.tensor.TensorSource;
import dev.evomerge.engine.CausalLanguageModel;
import dev.evomerge.engine.FinishReason;
import dev.evomerge.engine.GeneratedToken;
import dev.evomerge.engine.Generation;
import dev.evomerge.engine.GenerationRequest;
import dev.evomerge.engine.LayerPointer;
import dev.evomerge.engine.LoglikelihoodRequest;
import dev.evomerge.engine.LoglikelihoodResult;
import dev.evomerge.engine.ModelSpec;
import dev.evomerge.engine.RollingLoglikelihood;
import dev.evomerge.engine.Sampling;
import dev.evomerge.engine.SequenceLogprobs;
import dev.evomerge.engine.TokenScore;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalInt;
import java.util.function.Function;

/**
 * A stand-in language model whose next-token logits are a function of the generated token ids (prompt excluded),
 * for testing decoding logic with outputs known in advance. Greedy decoding only.
 */
final class ScriptedModel implements CausalLanguageModel {

    private final int vocab;
    private final int promptLength;
    private final Function<int[], double[]> logits;

    /** @param logits raw logits for the next token given the tokens after the first {@code promptLength} */
    ScriptedModel(int vocab, int promptLength, Function<int[], double[]> logits) {
        this.vocab = vocab;
        this.promptLength = promptLength;
        this.logits = logits;
    }

    @Override
    public ModelSpec spec() {
        return new ModelSpec("Scripted", vocab, 8, 1, 1, 1, 8, 8, 256, OptionalInt.of(1), List.of(2), true);
    }

    private double[] logprobsAfter(int[] context) {
        double[] z = logits.apply(Arrays.copyOfRange(context, Math.min(promptLength, context.length), context.length));
        double max = Arrays.stream(z).max().orElseThrow();
        double sum = 0;
        for (double v : z) {
            sum += Math.exp(v - max);
        }
        double log = max + Math.log(sum);
        return Arrays.stream(z).map(v -> v - log).toArray();
    }

    private static List<TokenScore> top(double[] lp, int n) {
        List<TokenScore> all = new ArrayList<>();
        for (int i = 0; i < lp.length; i++) {
            all.add(new TokenScore(i, lp[i]));
        }
        all.sort(Comparator.comparingDouble(TokenScore::logprob).reversed().thenComparingInt(TokenScore::token));
        return all.subList(0, Math.min(n, all.size()));
    }

    @Override
    public List<SequenceLogprobs> tokenLogprobs(List<int[]> sequences, int topN) {
        List<SequenceLogprobs> out = new ArrayList<>();
        for (int[] ids : sequences) {
            double[] values = new double[ids.length];
            values[0] = Double.NaN;
            List<List<TokenScore>> tops = new ArrayList<>();
            for (int j = 0; j < ids.length; j++) {
                double[] lp = logprobsAfter(Arrays.copyOf(ids, j + 1));
                tops.add(top(lp, topN));
                if (j + 1 < ids.length) {
                    values[j + 1] = lp[ids[j + 1]];
                }
            }
            out.add(new SequenceLogprobs(ids, values, tops));
        }
        return out;
    }

    @Override
    public List<Generation> generate(List<GenerationRequest> requests) {
        List<Generation> out = new ArrayList<>();
        for (GenerationRequest r : requests) {
            if (!(r.sampling() instanceof Sampling.Greedy)) {
                throw new UnsupportedOperationException("scripted model decodes greedily only");
            }
            int[] context = r.prompt();
            List<GeneratedToken> tokens = new ArrayList<>();
            FinishReason reason = FinishReason.LENGTH;
            while (tokens.size() < r.maxTokens()) {
                double[] lp = logprobsAfter(context);
                TokenScore best = top(lp, 1).getFirst();
                tokens.add(new GeneratedToken(best.token(), best.logprob(), top(lp, r.topLogprobs())));
                r.listener().onToken(tokens.getLast());
                context = Arrays.copyOf(context, context.length + 1);
                context[context.length - 1] = best.token();
                if (r.stopTokenIds().contains(best.token())) {
                    reason = FinishReason.STOP_TOKEN;
                    break;
                }
                if (r.stop().shouldStop(tokens.stream().mapToInt(GeneratedToken::token).toArray())) {
                    reason = FinishReason.STOP_CONDITION;
                    break;
                }
            }
            out.add(new Generation(tokens, reason));
        }
        return out;
    }

    @Override
    public List<LoglikelihoodResult> logLikelihood(List<LoglikelihoodRequest> requests) {
        throw new UnsupportedOperationException();
    }

    @Override
    public RollingLoglikelihood loglikelihoodRolling(int[] ids, int prefixTokenId, int maxLength) {
        throw new UnsupportedOperationException();
    }

    @Override
    public TensorSink weightSink() {
        throw new UnsupportedOperationException();
    }

    @Override
    public TensorSource weightSource() {
        throw new UnsupportedOperationException();
    }

    @Override
    public List<LayerPointer> layers() {
        throw new UnsupportedOperationException();
    }

    @Override
    public void setLayers(List<LayerPointer> layers) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void close() {
        // nothing held
    }
}
