/**
 * Cheap fitness: estimates of a model's full-task mean score from its results on a few chosen documents.
 *
 * <p>Inputs are a {@link dev.evomerge.eval.estimate.CalibrationMatrix} (per-document results in [0, 1] of calibration
 * models that were evaluated on the whole task) and a candidate's results on the documents an estimator chose. Every
 * estimator is a {@link dev.evomerge.eval.estimate.TaskEstimator}: it names the documents to evaluate and turns the
 * candidate's results on them into an estimate. {@link dev.evomerge.eval.estimate.SubsetSelector} needs no calibration;
 * {@link dev.evomerge.eval.estimate.AnchorSelector}, {@link dev.evomerge.eval.estimate.GpIrtEstimator} and
 * {@link dev.evomerge.eval.estimate.MultidimensionalIrtEstimator} do.
 * docs/evaluation.md ("Estimated fitness") describes the estimators for users.
 */
package dev.evomerge.eval.estimate;
