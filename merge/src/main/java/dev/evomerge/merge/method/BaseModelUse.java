package dev.evomerge.merge.method;

/** How a merge method treats the configured base model; each method does as its mergekit namesake does. */
public enum BaseModelUse {
    /** The base is the anchor (task vectors x - base, model_stock, nearswap, ...); merging without one is an error. */
    REQUIRED,
    /** slerp: the base is required and is the t = 0 end; the other model is the t = 1 end. */
    SELECTS_T0,
    /** nuslerp, multislerp: without a base the models are interpolated directly, with one their task vectors are. */
    OPTIONAL,
    /**
     * linear, karcher: the base has no role; if the config names one it is just another input
     * (for models: configs the planner appends it as the last input when it is not listed).
     */
    JUST_AN_INPUT,
    /** passthrough: no base; exactly one input. */
    NONE
}
