package dev.evomerge.eval.estimate;

import java.util.List;

/**
 * An estimator that evaluates a candidate on anchors and combines them with an item response model fitted to the
 * calibration: it names the anchors' task and documents.
 */
public sealed interface AnchoredIrtEstimator extends TaskEstimator permits GpIrtEstimator, MultidimensionalIrtEstimator {

    /** The anchors the candidate is evaluated on. */
    Anchors anchors();

    @Override
    default String task() {
        return anchors().task();
    }

    @Override
    default List<Integer> documents() {
        return anchors().documents();
    }

    /** Refuses an anchor outside the model's items, and a lambda outside [0, 1]: programming errors. */
    static void check(Anchors anchors, int itemCount, double lambda) {
        if (!(lambda >= 0 && lambda <= 1)) {
            throw new IllegalArgumentException("lambda must lie in [0, 1], got " + lambda);
        }
        for (Anchor anchor : anchors.anchors()) {
            if (anchor.column() >= itemCount) {
                throw new IllegalArgumentException("anchor column " + anchor.column() + " is outside the item model's "
                        + itemCount + " items");
            }
        }
    }
}
