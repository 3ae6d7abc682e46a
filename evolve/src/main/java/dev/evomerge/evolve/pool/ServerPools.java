package dev.evomerge.evolve.pool;

import dev.evomerge.core.EvomergeException;

/** The checks of the server pool's options against the other evaluation options, before a run writes anything. */
public final class ServerPools {

    /** Where the recipes for vLLM and SGLang are (the seed's --vllm, --num-gpus and --in-memory point there). */
    public static final String RECIPE = "docs/evolution.md, \"Evaluating on running inference servers\"";

    private ServerPools() {
    }

    /** Refuses options that mean nothing with --eval-server, each with one sentence naming them. */
    public static void check(ServerPoolOptions pool, String evalServerCmd) {
        if (!pool.enabled()) {
            if (pool.scratchDir() != null) {
                throw EvomergeException.usage("--scratch-dir is where candidates are merged for --eval-server servers;"
                        + " give --eval-server URL too (or drop --scratch-dir).");
            }
            if (!pool.reload().equals(ServerPoolOptions.DETECT)) {
                throw EvomergeException.usage("--eval-server-reload says how --eval-server servers reload weights;"
                        + " give --eval-server URL too (or drop --eval-server-reload).");
            }
            return;
        }
        pool.check();
        if (evalServerCmd != null) {
            throw EvomergeException.usage("--eval-server uses servers that are already running, --eval-server-cmd"
                    + " starts one per candidate: give one of the two.");
        }
    }
}
