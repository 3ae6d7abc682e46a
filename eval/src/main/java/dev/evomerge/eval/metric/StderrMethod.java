package dev.evomerge.eval.metric;

/** How lm-eval estimates a metric's standard error (lm_eval.api.metrics.stderr_for_metric). */
public enum StderrMethod {
    /** Sample standard deviation / sqrt(n), for mean aggregations. */
    CLOSED_FORM,
    /** Standard deviation of the aggregate over bootstrap resamples (perplexity, f1, mcc, median). */
    BOOTSTRAP,
    /** Not computed: reported as "N/A". */
    NONE
}
