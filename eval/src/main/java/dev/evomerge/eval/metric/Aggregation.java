package dev.evomerge.eval.metric;

import dev.evomerge.core.EvomergeException;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** lm-eval's aggregations of per-document metric values, with the stderr method lm-eval pairs with each. */
public enum Aggregation {
    MEAN("mean", StderrMethod.CLOSED_FORM),
    MEDIAN("median", StderrMethod.BOOTSTRAP),
    PERPLEXITY("perplexity", StderrMethod.BOOTSTRAP),
    WEIGHTED_PERPLEXITY("weighted_perplexity", StderrMethod.NONE),
    BITS_PER_BYTE("bits_per_byte", StderrMethod.NONE),
    F1("f1", StderrMethod.BOOTSTRAP),
    MATTHEWS_CORRCOEF("matthews_corrcoef", StderrMethod.BOOTSTRAP),
    BRIER_SCORE("brier_score", StderrMethod.NONE),
    /** kobest's {@code !function utils.macro_f1_score}: sklearn f1_score(average="macro"). */
    MACRO_F1("macro_f1_score", StderrMethod.NONE);

    private final String yamlName;
    private final StderrMethod stderr;

    Aggregation(String yamlName, StderrMethod stderr) {
        this.yamlName = yamlName;
        this.stderr = stderr;
    }

    public String yamlName() {
        return yamlName;
    }

    public StderrMethod stderrMethod() {
        return stderr;
    }

    /** The built-in aggregation with this YAML name (not the function-backed ones). */
    public static Optional<Aggregation> byName(String name) {
        for (Aggregation a : values()) {
            if (a != MACRO_F1 && a.yamlName.equals(name)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    /** Aggregates the documents' values. */
    public double apply(List<SampleValue> items) {
        if (items.isEmpty()) {
            throw new IllegalArgumentException("cannot aggregate zero documents");
        }
        return switch (this) {
            case MEAN -> mean(scalars(items));
            // lm-eval's median takes the middle element without sorting; kept for identical numbers.
            case MEDIAN -> scalars(items)[items.size() / 2];
            case PERPLEXITY -> Math.exp(-mean(scalars(items)));
            case WEIGHTED_PERPLEXITY -> Math.exp(-weightedMean(items));
            case BITS_PER_BYTE -> -weightedMean(items) / Math.log(2);
            case F1 -> Classification.binaryF1(pairs(items));
            case MATTHEWS_CORRCOEF -> Classification.matthews(pairs(items));
            case BRIER_SCORE -> brier(items);
            case MACRO_F1 -> Classification.macroF1(pairs(items));
        };
    }

    /** Python's {@code sum(arr) / len(arr)}: left-to-right double addition. */
    static double mean(double[] xs) {
        double sum = 0;
        for (double x : xs) {
            sum += x;
        }
        return sum / xs.length;
    }

    static double[] scalars(List<SampleValue> items) {
        double[] out = new double[items.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(items.get(i) instanceof SampleValue.Scalar s)) {
                throw EvomergeException.usage("a mean/median/perplexity aggregation needs one number per document, got "
                        + items.get(i));
            }
            out[i] = s.value();
        }
        return out;
    }

    private static double weightedMean(List<SampleValue> items) {
        double a = 0;
        double b = 0;
        for (SampleValue v : items) {
            if (!(v instanceof SampleValue.Weighted w)) {
                throw EvomergeException.usage("weighted_perplexity/bits_per_byte need (loglikelihood, count) pairs, got " + v);
            }
            a += w.value();
            b += w.weight();
        }
        return a / b;
    }

    static List<SampleValue.LabelPair> pairs(List<SampleValue> items) {
        List<SampleValue.LabelPair> out = new ArrayList<>(items.size());
        for (SampleValue v : items) {
            if (!(v instanceof SampleValue.LabelPair p)) {
                throw EvomergeException.usage("f1/mcc aggregations need (gold, prediction) pairs, got " + v);
            }
            out.add(p);
        }
        return out;
    }

    private static double brier(List<SampleValue> items) {
        double total = 0;
        for (SampleValue v : items) {
            if (!(v instanceof SampleValue.Probabilities p)) {
                throw EvomergeException.usage("brier_score needs (gold, probabilities) per document, got " + v);
            }
            double[] probs = p.probs();
            double s = 0;
            for (int i = 0; i < probs.length; i++) {
                double d = probs[i] - (i == p.gold() ? 1 : 0);
                s += d * d;
            }
            total += s;
        }
        return total / items.size();
    }
}
