package dev.evomerge.eval;

import dev.evomerge.eval.metric.SampleValue;
import dev.evomerge.eval.model.LoglikelihoodAnswer;
import dev.evomerge.eval.python.PythonValues;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * lm-eval's multiple-choice scoring of one document from the choices' summed log-likelihoods: acc (argmax),
 * acc_norm (each divided by the choice's length in characters, i.e. code points), acc_bytes (UTF-8 bytes),
 * acc_mutual_info, exact_match (the gold continuation is greedy), f1/mcc pairs, brier_score, and truthfulqa's
 * mc1 (= acc) and mc2 (probability mass on the gold set).
 */
final class ChoiceScoring {

    private ChoiceScoring() {
    }

    /**
     * @param answers       one per choice (or per context for multiple-input tasks)
     * @param unconditional the choices scored after an empty context (acc_mutual_info), else empty
     * @param gold          an Integer, or a List of Integers for several gold answers
     */
    static Map<String, SampleValue> score(List<LoglikelihoodAnswer> answers, List<LoglikelihoodAnswer> unconditional,
                                          List<String> choices, Object gold) {
        int n = answers.size();
        double[] lls = new double[n];
        double[] perChar = new double[n];
        double[] perByte = new double[n];
        for (int i = 0; i < n; i++) {
            lls[i] = answers.get(i).logprob();
            String choice = choices.get(i);
            perChar[i] = lls[i] / PythonValues.length(choice);
            perByte[i] = lls[i] / choice.getBytes(StandardCharsets.UTF_8).length;
        }
        int pred = argmax(lls);
        List<Integer> golds = gold instanceof List<?> l ? l.stream().map(g -> (Integer) g).toList()
                : List.of((Integer) gold);
        Map<String, SampleValue> out = new LinkedHashMap<>();
        out.put("acc", hit(golds, pred));
        out.put("acc_norm", hit(golds, argmax(perChar)));
        out.put("acc_bytes", hit(golds, argmax(perByte)));
        boolean greedy = false;
        for (int g : golds) {
            greedy |= answers.get(g).greedy();
        }
        out.put("exact_match", new SampleValue.Scalar(greedy ? 1 : 0));
        out.put("f1", new SampleValue.LabelPair(golds.getFirst(), pred));
        out.put("mcc", new SampleValue.LabelPair(golds.getFirst(), pred));
        out.put("brier_score", new SampleValue.Probabilities(golds.getFirst(), softmax(lls)));
        out.put("mc1", hit(golds, pred));
        double[] p = softmax(lls);
        double mass = 0;
        for (int g : golds) {
            mass += p[g];
        }
        out.put("mc2", new SampleValue.Scalar(mass));
        if (unconditional.size() == n) {
            double[] mi = new double[n];
            for (int i = 0; i < n; i++) {
                mi[i] = lls[i] - unconditional.get(i).logprob();
            }
            out.put("acc_mutual_info", hit(golds, argmax(mi)));
        }
        return out;
    }

    private static SampleValue hit(List<Integer> golds, int pred) {
        return new SampleValue.Scalar(golds.contains(pred) ? 1.0 : 0.0);
    }

    /** numpy.argmax: the first maximum; a NaN counts as the maximum. */
    static int argmax(double[] xs) {
        int best = 0;
        for (int i = 0; i < xs.length; i++) {
            if (Double.isNaN(xs[i])) {
                return i;
            }
            if (xs[i] > xs[best]) {
                best = i;
            }
        }
        return best;
    }

    static double[] softmax(double[] xs) {
        double max = Double.NEGATIVE_INFINITY;
        for (double x : xs) {
            max = Math.max(max, x);
        }
        double[] out = new double[xs.length];
        double sum = 0;
        for (int i = 0; i < xs.length; i++) {
            out[i] = Math.exp(xs[i] - max);
            sum += out[i];
        }
        for (int i = 0; i < xs.length; i++) {
            out[i] /= sum;
        }
        return out;
    }
}
