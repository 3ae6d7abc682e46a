package dev.evomerge.server;

import java.nio.file.Path;

/**
 * A faulty server for tests of the clients' reload probe: it answers every update with success and keeps serving the
 * weights it had (what a server that silently ignores a reload looks like from outside). Reachable from the command
 * line only through a hidden {@code serve} option.
 */
public final class ReloadIgnoringWeightUpdates implements WeightUpdates {

    @Override
    public WeightUpdateResult update(ServedModel served, Path dir) {
        served.servedFrom(dir); // it even reports the new path, as a server that lies would
        return WeightUpdateResult.loaded("Loaded the weights of " + dir + ".");
    }
}
