package dev.evomerge.merge.method;

import java.util.List;

/**
 * A member of the generalized task arithmetic family, named as the mergekit method: how each model's task vector is
 * sparsified, whether the models vote on the sign of every element (TIES consensus: only the task-vector entries that
 * agree with the weighted majority sign are summed), and the defaults of the {@code normalize} parameter (divide the
 * mix by the sum of the agreeing weights) and the {@code rescale} parameter (restore each sparsified task vector's
 * L1 norm); a config may set either.
 *
 * @param methodName the {@code merge_method} name in a config
 */
record GtaVariant(String methodName, Sparsification sparsification, boolean signConsensus,
                  boolean normalizeByDefault, boolean rescaleByDefault) {

    static final GtaVariant TASK_ARITHMETIC =
            new GtaVariant("task_arithmetic", Sparsification.NONE, false, false, false);
    static final GtaVariant TIES = new GtaVariant("ties", Sparsification.MAGNITUDE, true, true, false);
    static final GtaVariant DARE_TIES = new GtaVariant("dare_ties", Sparsification.RANDOM, true, false, true);
    static final GtaVariant DARE_LINEAR = new GtaVariant("dare_linear", Sparsification.RANDOM, false, false, true);
    static final GtaVariant BREADCRUMBS = new GtaVariant("breadcrumbs", Sparsification.OUTLIERS, false, false, false);
    static final GtaVariant BREADCRUMBS_TIES =
            new GtaVariant("breadcrumbs_ties", Sparsification.OUTLIERS, true, false, false);
    static final GtaVariant DELLA = new GtaVariant("della", Sparsification.DELLA, true, true, true);
    static final GtaVariant DELLA_LINEAR = new GtaVariant("della_linear", Sparsification.DELLA, false, false, true);

    /** All of them, in registry order. */
    static final List<GtaVariant> ALL = List.of(TASK_ARITHMETIC, TIES, DARE_TIES, DARE_LINEAR, BREADCRUMBS,
            BREADCRUMBS_TIES, DELLA, DELLA_LINEAR);

    /** How each task vector is sparsified before mixing (the functions of {@link Sparsifiers}). */
    enum Sparsification {
        /** Kept whole. */
        NONE,
        /** The {@code int(density·N)} largest magnitudes are kept ({@link Sparsifiers#magnitude}). */
        MAGNITUDE,
        /** Each element is kept with probability density, DARE ({@link Sparsifiers#bernoulli}). */
        RANDOM,
        /** The largest {@code gamma} and the smallest magnitudes are dropped ({@link Sparsifiers#outliers}). */
        OUTLIERS,
        /** Keep probability ramps with the magnitude rank in each row ({@link Sparsifiers#della}). */
        DELLA
    }
}
