package dev.evomerge.eval.reload;

/**
 * How a reload is confirmed.
 *
 * @param inJvmMaxParameters   a candidate with at most this many parameters is also run by the in-JVM engine (about 2
 *                             bytes of memory per parameter for bf16 checkpoints, 4 otherwise, for the moment of the
 *                             probe), and the server must answer as it does; a larger one is only compared with the
 *                             server's previous answer. 0 turns the in-JVM probe off
 * @param maxMeanAbsDifference the most the server's probe may differ from the in-JVM engine's, in nats per token on
 *                             average: GPU servers compute in bf16/fp16 and differ by about 0.01-0.05 from the
 *                             engine's float32 on small models; two different candidates usually differ by more
 * @param minMeanAbsChange     the least the server's probe must change from its previous answer when no in-JVM probe
 *                             is made, in nats per token on average: a server that ignored the reload answers exactly
 *                             as before
 */
public record ProbeSettings(long inJvmMaxParameters, double maxMeanAbsDifference, double minMeanAbsChange) {

    /** Models up to 1B parameters: what the in-JVM engine runs comfortably on a CPU. */
    public static final long DEFAULT_IN_JVM_MAX_PARAMETERS = 1_000_000_000L;
    public static final double DEFAULT_MAX_MEAN_ABS_DIFFERENCE = 0.1;
    public static final double DEFAULT_MIN_MEAN_ABS_CHANGE = 1e-4;

    public ProbeSettings {
        if (inJvmMaxParameters < 0) {
            throw new IllegalArgumentException("inJvmMaxParameters must be >= 0");
        }
        if (!(maxMeanAbsDifference > 0) || !(minMeanAbsChange > 0)) {
            throw new IllegalArgumentException("probe tolerances must be positive");
        }
    }

    public static ProbeSettings defaults() {
        return new ProbeSettings(DEFAULT_IN_JVM_MAX_PARAMETERS, DEFAULT_MAX_MEAN_ABS_DIFFERENCE,
                DEFAULT_MIN_MEAN_ABS_CHANGE);
    }

    public ProbeSettings withInJvmMaxParameters(long n) {
        return new ProbeSettings(n, maxMeanAbsDifference, minMeanAbsChange);
    }
}
