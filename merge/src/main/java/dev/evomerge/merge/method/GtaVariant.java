package dev.evomerge.merge.method;

/**
 * The members of the generalized task arithmetic family, by their mergekit method names: how each model's task vector
 * is sparsified, whether the models vote on the sign of every element (TIES consensus: only the task-vector entries
 * that agree with the weighted majority sign are summed), and the defaults of the {@code normalize} and
 * {@code rescale} parameters (a config may set either).
 */
enum GtaVariant {
    TASK_ARITHMETIC("task_arithmetic", Sparsification.NONE, false, false, false),
    TIES("ties", Sparsification.MAGNITUDE, true, true, false),
    DARE_TIES("dare_ties", Sparsification.RANDOM, true, false, true),
    DARE_LINEAR("dare_linear", Sparsification.RANDOM, false, false, true),
    BREADCRUMBS("breadcrumbs", Sparsification.OUTLIERS, false, false, false),
    BREADCRUMBS_TIES("breadcrumbs_ties", Sparsification.OUTLIERS, true, false, false),
    DELLA("della", Sparsification.DELLA, true, true, true),
    DELLA_LINEAR("della_linear", Sparsification.DELLA, false, false, true);

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

    private final String methodName;
    private final Sparsification sparsification;
    private final boolean signConsensus;
    private final boolean normalizeByDefault;
    private final boolean rescaleByDefault;

    GtaVariant(String methodName, Sparsification sparsification, boolean signConsensus, boolean normalizeByDefault,
               boolean rescaleByDefault) {
        this.methodName = methodName;
        this.sparsification = sparsification;
        this.signConsensus = signConsensus;
        this.normalizeByDefault = normalizeByDefault;
        this.rescaleByDefault = rescaleByDefault;
    }

    /** The {@code merge_method} name in a config. */
    String methodName() {
        return methodName;
    }

    Sparsification sparsification() {
        return sparsification;
    }

    /** Whether elements are summed only where their sign agrees with the weighted majority (TIES). */
    boolean signConsensus() {
        return signConsensus;
    }

    /** The default of the {@code normalize} parameter: divide the mix by the sum of the (agreeing) weights. */
    boolean normalizeByDefault() {
        return normalizeByDefault;
    }

    /** The default of the {@code rescale} parameter: restore each sparsified task vector's L1 norm. */
    boolean rescaleByDefault() {
        return rescaleByDefault;
    }
}
