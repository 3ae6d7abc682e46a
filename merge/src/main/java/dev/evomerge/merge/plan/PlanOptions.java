package dev.evomerge.merge.plan;

/**
 * Planner switches.
 *
 * @param allowCrimes merge models of different architectures (the output takes the donor's)
 */
public record PlanOptions(boolean allowCrimes) {

    public static PlanOptions defaults() {
        return new PlanOptions(false);
    }
}
