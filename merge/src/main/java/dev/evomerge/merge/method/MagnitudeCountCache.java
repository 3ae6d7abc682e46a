package dev.evomerge.merge.method;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The {@link MagnitudeCounts} of each bf16 task vector a session's magnitude pruning (ties) has met, so that the
 * merges after the first find their cut-offs without the counting pass over the inputs. Keyed like
 * {@link TaskVectorCache} (output tensor, model, base) and valid under the same condition: the same input weights and
 * the same plan. Thread-safe.
 *
 * <p>Bounded: past {@code maxBytes} new counts are computed, used and dropped, and each one dropped is counted
 * ({@link #refused()}), so a run that outgrows it shows it (MergeBench prints the figures); nothing else changes.
 */
public final class MagnitudeCountCache {

    /** What one tensor's counts may take at most (the first pass counts into at most 64 blocks within it). */
    static final long ENTRY_BYTES = 256L << 10;

    private record Key(String tensorName, String model, String baseModel) {
    }

    private final ConcurrentHashMap<Key, MagnitudeCounts> entries = new ConcurrentHashMap<>();
    private final long maxBytes;
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong hits = new AtomicLong();

    /** A cache that keeps counts up to about {@code maxBytes} in all. */
    public MagnitudeCountCache(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** Bytes held. */
    public long bytesHeld() {
        return bytes.get();
    }

    /** Task vectors whose counts are held. */
    public int size() {
        return entries.size();
    }

    /** Counts computed but not kept because the cache was full. */
    public long refused() {
        return refused.get();
    }

    /** Counts found here instead of computed. */
    public long hits() {
        return hits.get();
    }

    /** The counts of one task vector of n elements, from here or computed now (and kept when they fit). */
    MagnitudeCounts get(String tensorName, String model, String baseModel, int n, Supplier<MagnitudeCounts> compute) {
        Key key = new Key(tensorName, model, baseModel);
        MagnitudeCounts c = entries.get(key);
        if (c != null && c.size() == n) {
            hits.incrementAndGet();
            return c;
        }
        MagnitudeCounts fresh = compute.get();
        long need = fresh.bytes();
        if (bytes.addAndGet(need) <= maxBytes) {
            MagnitudeCounts prev = entries.put(key, fresh);
            if (prev != null) {
                bytes.addAndGet(-prev.bytes());
            }
        } else {
            bytes.addAndGet(-need);
            refused.incrementAndGet();
        }
        return fresh;
    }

    @Override
    public String toString() {
        return "MagnitudeCountCache[" + entries.size() + " task vectors, " + bytes.get() + " bytes, " + refused.get()
                + " not kept]";
    }
}
