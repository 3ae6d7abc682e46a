package dev.evomerge.eval.reload;

import java.nio.file.Path;
import java.time.Duration;

/**
 * {@code --eval-server-reload none}: the user manages what the server serves; nothing is asked of it. Useful when the
 * server is restarted or reconfigured by something else between candidates.
 */
public final class NoReload implements ReloadProtocol {

    @Override
    public String name() {
        return "none";
    }

    @Override
    public boolean reloads() {
        return false;
    }

    @Override
    public ReloadOutcome reload(ServerEndpoint server, Path modelDir) {
        return ReloadOutcome.loaded("The server at " + server + " was not asked to reload (--eval-server-reload none).",
                Duration.ZERO);
    }
}
