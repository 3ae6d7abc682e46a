package dev.evomerge.eval.metric;

/** One document's contribution to a metric, before aggregation over the documents. */
public sealed interface SampleValue {

    /** A number (acc, exact_match, a log-likelihood for perplexity, ...). */
    record Scalar(double value) implements SampleValue {
    }

    /** A log-likelihood with its word or byte count (word_perplexity, byte_perplexity, bits_per_byte). */
    record Weighted(double value, double weight) implements SampleValue {
    }

    /** Gold and predicted choice indices (f1, mcc). */
    record LabelPair(int gold, int pred) implements SampleValue {
    }

    /** Gold index and the softmax over the choices' log-likelihoods (brier_score). */
    record Probabilities(int gold, double[] probs) implements SampleValue {
        public Probabilities {
            probs = probs.clone();
        }

        @Override
        public double[] probs() {
            return probs.clone();
        }
    }

    /** The value as lm-eval writes it into a per-sample log. */
    default Object loggable() {
        return switch (this) {
            case Scalar s -> s.value();
            case Weighted w -> java.util.List.of(w.value(), w.weight());
            case LabelPair p -> java.util.List.of(p.gold(), p.pred());
            case Probabilities p -> java.util.List.of(p.gold(), java.util.Arrays.stream(p.probs).boxed().toList());
        };
    }
}
