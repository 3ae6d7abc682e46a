package dev.evomerge.server;

import java.nio.file.Path;

/**
 * What {@code POST /update_weights_from_disk} does with the served model. The server calls it on its model thread,
 * so no request runs while the weights change: a request that arrived before the update finishes on the old weights,
 * one that arrives during it waits and runs on the new ones.
 */
public interface WeightUpdates {

    /** Loads the weights of {@code dir} into {@code served}. Never throws for a bad directory: that is the result. */
    WeightUpdateResult update(ServedModel served, Path dir);

    /** The server's own behaviour: {@link InPlaceWeightUpdate}. */
    static WeightUpdates inPlace() {
        return new InPlaceWeightUpdate();
    }
}
