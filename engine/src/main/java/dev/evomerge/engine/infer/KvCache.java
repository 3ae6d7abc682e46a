package dev.evomerge.engine.infer;

import java.util.ArrayList;
import java.util.List;

/**
 * Keys and values of one sequence, per layer and KV head. A cache may be a fork of another: positions before
 * {@link #base()} are read from the parent chain (never copied), later ones are stored here, so continuations that
 * share a context each extend their own fork of the context's cache. Keys are stored transposed (head dimension
 * major) so attention scores for many positions come out of whole-vector FMAs. Not thread-safe; a parent must not
 * be rolled back while forks of it are in use.
 */
public final class KvCache {

    private final int layers;
    private final int kvHeads;
    private final int headDim;
    private final KvCache parent;
    private final int base;
    private int length;
    private int capacity;
    /** [layer * kvHeads + head] -> keysT[d * capacity + (pos - base)]. */
    private float[][] keysT;
    /** [layer * kvHeads + head] -> values[(pos - base) * headDim + d]. */
    private float[][] values;

    private KvCache(int layers, int kvHeads, int headDim, KvCache parent, int base) {
        this.layers = layers;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.parent = parent;
        this.base = base;
        this.length = base;
        this.keysT = new float[layers * kvHeads][0];
        this.values = new float[layers * kvHeads][0];
    }

    /** An empty cache for a model running {@code layers} decoder layers. */
    public static KvCache empty(int layers, int kvHeads, int headDim) {
        return new KvCache(layers, kvHeads, headDim, null, 0);
    }

    /** A new cache that shares this one's positions so far and stores only what is appended to it. */
    public KvCache fork() {
        return new KvCache(layers, kvHeads, headDim, this, length);
    }

    /** Number of positions (tokens) cached, including inherited ones. */
    public int length() {
        return length;
    }

    /** First position stored in this cache rather than inherited. */
    public int base() {
        return base;
    }

    public int layers() {
        return layers;
    }

    /** Makes room for positions up to {@code totalLength} (exclusive). */
    void ensureCapacity(int totalLength) {
        int need = totalLength - base;
        if (need <= capacity) {
            return;
        }
        int newCap = Math.max(need, Math.max(16, capacity + (capacity >> 1)));
        int own = length - base;
        for (int s = 0; s < keysT.length; s++) {
            float[] k = new float[headDim * newCap];
            for (int d = 0; d < headDim; d++) {
                System.arraycopy(keysT[s], d * capacity, k, d * newCap, own);
            }
            keysT[s] = k;
            float[] v = new float[newCap * headDim];
            System.arraycopy(values[s], 0, v, 0, own * headDim);
            values[s] = v;
        }
        capacity = newCap;
    }

    /** Stores the key and value of {@code pos} (at or after base, within capacity) for one layer and KV head. */
    void put(int layer, int head, int pos, float[] key, int keyOff, float[] value, int valueOff) {
        int s = layer * kvHeads + head;
        int j = pos - base;
        float[] k = keysT[s];
        for (int d = 0; d < headDim; d++) {
            k[d * capacity + j] = key[keyOff + d];
        }
        System.arraycopy(value, valueOff, values[s], j * headDim, headDim);
    }

    /** Marks {@code n} more positions as cached (after every layer has stored them). */
    void advance(int n) {
        length += n;
    }

    int capacity() {
        return capacity;
    }

    float[] keysT(int layer, int head) {
        return keysT[layer * kvHeads + head];
    }

    float[] values(int layer, int head) {
        return values[layer * kvHeads + head];
    }

    /** The chain from the root cache to this one (this last). */
    List<KvCache> chain() {
        List<KvCache> c = new ArrayList<>();
        for (KvCache k = this; k != null; k = k.parent) {
            c.addFirst(k);
        }
        return c;
    }
}
