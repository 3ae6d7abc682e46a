package dev.evomerge.eval.estimate;

/**
 * The parts of one gp-IRT estimate (see {@link GpIrtEstimator}).
 *
 * @param ability  the candidate's ability fitted on its anchor results
 * @param curves   the mean of all items' fitted curves at that ability (every item predicted, none observed)
 * @param anchors  the cluster-size-weighted mean of the anchor results
 * @param pIrt     observed results on the anchors and predictions on every other item, averaged over all items
 * @param estimate lambda * anchors + (1 - lambda) * pIrt
 */
public record IrtEstimate(double ability, double curves, double anchors, double pIrt, double estimate) {
}
