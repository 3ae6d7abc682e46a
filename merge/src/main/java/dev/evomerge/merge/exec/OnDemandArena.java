package dev.evomerge.merge.exec;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The arena of one tensor's merge: a shared arena, created when the first large block is allocated, and the garbage
 * collector's for small blocks. Closing a shared arena makes every other thread of the JVM stop for a handshake,
 * which stalls the threads merging the other tensors (measured: about 1.5 ms per close while another thread runs a
 * merge kernel). Most tensors of a bf16 merge allocate nothing (their kernels read the mapped inputs and write into
 * the sink) and the rest mostly a small block (a norm's float32 copy), so they should not pay it; a large block is
 * freed at close as before, since it is worth the stall. Measured on a 760M-parameter re-merge into resident weights:
 * 0.39 s with a shared arena per tensor, 0.19 s with this (docs/benchmarks.md, "One pool for tensors and their
 * pieces").
 */
final class OnDemandArena implements Arena {

    /** Blocks below this many bytes are left to the garbage collector. */
    static final long SMALL = 1 << 20;

    private final Arena small = Arena.ofAuto();
    private Arena shared;

    private synchronized Arena shared() {
        if (shared == null) {
            shared = Arena.ofShared();
        }
        return shared;
    }

    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        return byteSize < SMALL ? small.allocate(byteSize, byteAlignment) : shared().allocate(byteSize, byteAlignment);
    }

    /** The shared arena's scope: a segment of this scope lives until {@link #close}. */
    @Override
    public MemorySegment.Scope scope() {
        return shared().scope();
    }

    /** Frees the large blocks now (the small ones when they are no longer reachable). */
    @Override
    public synchronized void close() {
        if (shared != null) {
            shared.close();
        }
    }

    /** Whether a shared arena was made (a large block was allocated). */
    synchronized boolean sharedMade() {
        return shared != null;
    }
}
