package dev.evomerge.core.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Native memory of each thread, kept for the thread's life and grown as needed, 64-byte aligned: the scratch that
 * a hot loop reuses block after block instead of allocating (and zeroing) a buffer per block. A thread must not hand
 * out the buffer while it still needs its contents.
 */
public final class PerThreadBuffer {

    private final ThreadLocal<MemorySegment> buffer = new ThreadLocal<>();

    /** This thread's buffer, of at least {@code bytes} (its contents are whatever it held before). */
    public MemorySegment atLeast(long bytes) {
        MemorySegment s = buffer.get();
        if (s == null || s.byteSize() < bytes) {
            s = Arena.ofAuto().allocate(bytes, 64);
            buffer.set(s);
        }
        return s;
    }
}
