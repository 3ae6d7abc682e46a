package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.DType;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Reuse across repeated merges of one plan (the evolution loop): per (output tensor, model, base, dtype) the task
 * vector {@code x - base} rounded to the work dtype, its L1 norm, and its magnitudes sorted ascending, so magnitude
 * pruning at any density is a binary search instead of a sort.
 *
 * <p>Valid only while the input weights and the plan's tensor-to-source mapping stay the same; make a new cache when
 * either changes. Thread-safe. Memory: 4 bytes per element per task vector, plus 4 more once magnitudes are needed;
 * past {@code maxBytes} new entries are computed but not kept (a cache of 0 bytes keeps none, and the array path then
 * works as without a cache). Also holds the magnitude counts of bf16 task vectors ({@link #magnitudes()}), which
 * streamed magnitude pruning reuses whatever this cache can hold of the task vectors themselves.
 */
public final class TaskVectorCache {

    private record Key(String tensorName, String model, String baseModel, DType dtype) {
    }

    /** One cached task vector. */
    static final class Entry {
        final float[] delta;
        private volatile float[] sortedAbs;
        private volatile double l1 = Double.NaN;

        Entry(float[] delta) {
            this.delta = delta;
        }

        /** |delta| sorted ascending (computed once). */
        float[] sortedAbs() {
            float[] s = sortedAbs;
            if (s == null) {
                synchronized (this) {
                    s = sortedAbs;
                    if (s == null) {
                        s = Sparsifiers.sortedMagnitudes(delta);
                        sortedAbs = s;
                    }
                }
            }
            return s;
        }

        /** Σ|delta| in double (computed once). */
        double l1() {
            double v = l1;
            if (Double.isNaN(v)) {
                v = Numerics.sumAbs(delta);
                l1 = v;
            }
            return v;
        }
    }

    /** What the magnitude counts may take when the constructor is not told: 128 MiB (about 500 large tensors). */
    public static final long DEFAULT_MAGNITUDE_BYTES = 128L << 20;

    private final ConcurrentHashMap<Key, Entry> entries = new ConcurrentHashMap<>();
    private final long maxBytes;
    private final AtomicLong bytes = new AtomicLong();
    private final MagnitudeCountCache magnitudes;

    /** An unbounded cache. */
    public TaskVectorCache() {
        this(Long.MAX_VALUE);
    }

    /** A cache that stops keeping new entries beyond about {@code maxBytes}. */
    public TaskVectorCache(long maxBytes) {
        this(maxBytes, DEFAULT_MAGNITUDE_BYTES);
    }

    /**
     * A cache that keeps task vectors up to about {@code maxBytes} (0: none) and their magnitude counts up to about
     * {@code magnitudeBytes}.
     */
    public TaskVectorCache(long maxBytes, long magnitudeBytes) {
        this.maxBytes = maxBytes;
        this.magnitudes = new MagnitudeCountCache(magnitudeBytes);
    }

    /** Whether task vectors may be kept at all (a cache made with 0 bytes holds only magnitude counts). */
    boolean keepsTaskVectors() {
        return maxBytes > 0;
    }

    /** The magnitude counts of the bf16 task vectors that magnitude pruning has met. */
    public MagnitudeCountCache magnitudes() {
        return magnitudes;
    }

    /** Approximate bytes held. */
    public long bytesHeld() {
        return bytes.get();
    }

    /** Number of cached task vectors. */
    public int size() {
        return entries.size();
    }

    /** Drops everything. */
    public void clear() {
        entries.clear();
        bytes.set(0);
    }

    Entry get(String tensorName, String model, String baseModel, DType dtype, int numel, Supplier<float[]> compute) {
        Key key = new Key(tensorName, model, baseModel, dtype);
        Entry e = entries.get(key);
        if (e != null && e.delta.length == numel) {
            return e;
        }
        Entry fresh = new Entry(compute.get());
        // Room for the delta and, later, its sorted magnitudes.
        long need = 8L * numel;
        if (bytes.addAndGet(need) <= maxBytes) {
            Entry prev = entries.put(key, fresh);
            if (prev != null) {
                bytes.addAndGet(-8L * prev.delta.length);
            }
        } else {
            bytes.addAndGet(-need);
        }
        return fresh;
    }

    @Override
    public String toString() {
        return "TaskVectorCache[" + entries.size() + " entries, " + bytes.get() + " bytes; " + magnitudes + "]";
    }
}
