package dev.evomerge.server;

/**
 * How an update of the served weights ended.
 *
 * @param status  {@link Status#LOADED}; {@link Status#REFUSED} when nothing was changed; {@link Status#BROKEN} when
 *                writing failed part-way and the resident weights are a mix of old and new
 * @param message one sentence for the client
 */
public record WeightUpdateResult(Status status, String message) {

    public enum Status { LOADED, REFUSED, BROKEN }

    public static WeightUpdateResult loaded(String message) {
        return new WeightUpdateResult(Status.LOADED, message);
    }

    public static WeightUpdateResult refused(String message) {
        return new WeightUpdateResult(Status.REFUSED, message);
    }

    public static WeightUpdateResult broken(String message) {
        return new WeightUpdateResult(Status.BROKEN, message);
    }
}
