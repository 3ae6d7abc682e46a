package dev.evomerge.eval.estimate;

import java.util.List;
import java.util.function.IntToDoubleFunction;

/**
 * The two IRT predictions of a candidate's full-task mean from its anchor results and its fitted curves.
 *
 * @param pIrt   observed results on the anchors and the curves' P_j on every other item, averaged over all N items
 * @param curves the mean of all N items' curves (every item predicted, none observed)
 */
record CurveSums(double pIrt, double curves) {

    /**
     * @param columns     the anchors' item positions, in the order of {@code results}
     * @param n           the task's item count
     * @param probability item position to P(correct) at the candidate's fitted ability
     */
    static CurveSums of(List<Integer> columns, double[] results, int n, IntToDoubleFunction probability) {
        boolean[] observed = new boolean[n];
        double sum = 0;
        for (int c = 0; c < results.length; c++) {
            observed[columns.get(c)] = true;
            sum += results[c];
        }
        double curves = 0;
        for (int j = 0; j < n; j++) {
            double p = probability.applyAsDouble(j);
            curves += p;
            if (!observed[j]) {
                sum += p;
            }
        }
        return new CurveSums(sum / n, curves / n);
    }
}
