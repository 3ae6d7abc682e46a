package dev.evomerge.eval.metric;

import dev.evomerge.core.EvomergeException;

import java.util.List;
import java.util.TreeSet;

/** scikit-learn's f1_score (binary and macro) and matthews_corrcoef over (gold, prediction) label pairs. */
final class Classification {

    private Classification() {
    }

    /** f1_score(golds, preds) with average="binary", pos_label=1; 0 when undefined (sklearn's zero_division). */
    static double binaryF1(List<SampleValue.LabelPair> pairs) {
        for (SampleValue.LabelPair p : pairs) {
            if ((p.gold() != 0 && p.gold() != 1) || (p.pred() != 0 && p.pred() != 1)) {
                throw EvomergeException.usage("metric f1 with the default aggregation is binary (labels 0/1) as in "
                        + "lm-eval, but a document has gold " + p.gold() + " and prediction " + p.pred()
                        + "; use aggregation: !function utils.macro_f1_score for more than two choices");
            }
        }
        return f1For(pairs, 1);
    }

    /** f1_score(golds, preds, average="macro"): the mean over labels seen in either list. */
    static double macroF1(List<SampleValue.LabelPair> pairs) {
        TreeSet<Integer> labels = new TreeSet<>();
        for (SampleValue.LabelPair p : pairs) {
            labels.add(p.gold());
            labels.add(p.pred());
        }
        double sum = 0;
        for (int label : labels) {
            sum += f1For(pairs, label);
        }
        return sum / labels.size();
    }

    private static double f1For(List<SampleValue.LabelPair> pairs, int label) {
        int tp = 0;
        int fp = 0;
        int fn = 0;
        for (SampleValue.LabelPair p : pairs) {
            boolean gold = p.gold() == label;
            boolean pred = p.pred() == label;
            if (gold && pred) {
                tp++;
            } else if (pred) {
                fp++;
            } else if (gold) {
                fn++;
            }
        }
        int denominator = 2 * tp + fp + fn;
        return denominator == 0 ? 0.0 : 2.0 * tp / denominator;
    }

    /** matthews_corrcoef for any number of classes; 0 when a marginal is constant. */
    static double matthews(List<SampleValue.LabelPair> pairs) {
        TreeSet<Integer> labels = new TreeSet<>();
        for (SampleValue.LabelPair p : pairs) {
            labels.add(p.gold());
            labels.add(p.pred());
        }
        Integer[] index = labels.toArray(Integer[]::new);
        int k = index.length;
        double[] t = new double[k];
        double[] pr = new double[k];
        double correct = 0;
        for (SampleValue.LabelPair p : pairs) {
            int g = java.util.Arrays.binarySearch(index, p.gold());
            int q = java.util.Arrays.binarySearch(index, p.pred());
            t[g]++;
            pr[q]++;
            if (g == q) {
                correct++;
            }
        }
        double n = pairs.size();
        double tp = 0;
        double pp = 0;
        double tt = 0;
        for (int i = 0; i < k; i++) {
            tp += t[i] * pr[i];
            pp += pr[i] * pr[i];
            tt += t[i] * t[i];
        }
        double covYtYp = correct * n - tp;
        double covYpYp = n * n - pp;
        double covYtYt = n * n - tt;
        if (covYpYp * covYtYt == 0) {
            return 0.0;
        }
        return covYtYp / Math.sqrt(covYtYt * covYpYp);
    }
}
