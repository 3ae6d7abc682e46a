package dev.evomerge.engine;

/** Receives loading progress (the engine itself prints nothing); called on the loading thread. */
@FunctionalInterface
public interface LoadListener {

    /** Ignores all progress. */
    LoadListener NONE = progress -> {
    };

    /** Called after each tensor is loaded into the resident model. */
    void onProgress(LoadProgress progress);
}
