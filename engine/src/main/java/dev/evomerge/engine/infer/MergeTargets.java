package dev.evomerge.engine.infer;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Buffers that merges write bf16 weight matrices into before the resident weight sink packs them into the engine's
 * layout: kept for the model's life and reused by every tensor of every merge, so that a merge maps and faults in no
 * fresh memory per tensor (a 760M-parameter model's merge would otherwise allocate 1.5 GB per candidate). One buffer
 * per tensor being merged at the same time, each as large as the largest matrix. Thread-safe.
 */
final class MergeTargets implements AutoCloseable {

    private final Arena arena = Arena.ofShared();
    private final long capacity;
    /** Every buffer by its address, and those not handed out. */
    private final Map<Long, MemorySegment> buffers = new HashMap<>();
    private final ArrayDeque<MemorySegment> free = new ArrayDeque<>();
    private boolean closed;

    /** Buffers of {@code capacity} bytes. */
    MergeTargets(long capacity) {
        this.capacity = capacity;
    }

    /** A bf16 tensor of {@code shape} on a free buffer (a new one when none is free); null once closed. */
    synchronized Tensor take(Shape shape) {
        long bytes = 2 * shape.numel();
        if (closed || bytes > capacity) {
            return null;
        }
        MemorySegment buffer = free.poll();
        if (buffer == null) {
            buffer = arena.allocate(capacity, 64);
            buffers.put(buffer.address(), buffer);
        }
        return new Tensor(DType.BF16, shape, buffer.asSlice(0, bytes));
    }

    /** Takes back the buffer under {@code t} when it is one of these buffers handed out; false otherwise. */
    synchronized boolean giveBack(Tensor t) {
        MemorySegment data = t.data();
        if (closed || !data.isNative()) {
            return false;
        }
        MemorySegment buffer = buffers.get(data.address());
        if (buffer == null || free.contains(buffer)) {
            return false;
        }
        free.push(buffer);
        return true;
    }

    /** Buffers allocated so far. */
    synchronized int allocated() {
        return buffers.size();
    }

    @Override
    public synchronized void close() {
        closed = true;
        free.clear();
        buffers.clear();
        arena.close();
    }
}
