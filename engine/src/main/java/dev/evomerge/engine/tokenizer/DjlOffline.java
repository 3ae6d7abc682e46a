package dev.evomerge.engine.tokenizer;

/**
 * Keeps DJL from touching the network: its offline switch and its telemetry opt-out, unless the user set them.
 * The tokenizers native library is bundled in the DJL jar and is extracted to DJL's cache directory
 * ({@code DJL_CACHE_DIR}, default {@code ~/.djl.ai}), so nothing needs downloading.
 */
final class DjlOffline {

    private DjlOffline() {
    }

    static void ensure() {
        // DJL reads these as environment variables first, then as system properties.
        if (System.getenv("DJL_OFFLINE") == null && System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        if (System.getenv("OPT_OUT_TRACKING") == null && System.getProperty("OPT_OUT_TRACKING") == null) {
            System.setProperty("OPT_OUT_TRACKING", "true");
        }
    }
}
