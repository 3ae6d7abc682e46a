package dev.evomerge.engine;

/**
 * How to load a model.
 *
 * @param weightStorage how weights are kept in memory (computation is float32 either way)
 * @param threads       worker threads for the forward pass (at least 1)
 * @param listener      told about loading progress; never null
 */
public record LoadOptions(WeightStorage weightStorage, int threads, LoadListener listener) {

    public LoadOptions {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        if (weightStorage == null || listener == null) {
            throw new NullPointerException("weightStorage and listener must not be null");
        }
    }

    /** float32 weights, one thread per available processor, no progress reports. */
    public static LoadOptions defaults() {
        return new LoadOptions(WeightStorage.FLOAT32, Runtime.getRuntime().availableProcessors(), LoadListener.NONE);
    }

    public LoadOptions withWeightStorage(WeightStorage storage) {
        return new LoadOptions(storage, threads, listener);
    }

    public LoadOptions withThreads(int n) {
        return new LoadOptions(weightStorage, n, listener);
    }

    public LoadOptions withListener(LoadListener l) {
        return new LoadOptions(weightStorage, threads, l);
    }
}
