package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.NativeMemory;
import dev.evomerge.core.tensor.StagedCopy;

import java.lang.foreign.MemorySegment;

/**
 * The copy a block of merged rows leaves behind ({@link dev.evomerge.core.tensor.RowBlockTarget#putQuietRowsStaged}:
 * the engine's panel, packed in a staging buffer, to its home), carried along by the kernel of the next block: each
 * step of a wide loop moves {@link #LINE} bytes of it besides its own arithmetic, so that the stores to memory (each
 * of which first reads the line it writes) go out while the kernel computes instead of in a burst of their own after
 * each block. Measured on the 760M re-merge into the engine: 0.91-1.06 of the time with the stores in a pass of
 * their own for task_arithmetic and linear, 0.94-0.99 for ties (docs/benchmarks.md, "Panel stores carried by the
 * next block's kernel"). What a kernel does not take, {@link #finish} copies. One per running block loop, used by
 * one thread.
 */
final class CarriedCopy {

    /** Bytes moved per step of a kernel's loop: one cache line, one 512-bit vector. */
    static final int LINE = 64;

    private MemorySegment from;
    private MemorySegment to;
    private long fromAddress;
    private long toAddress;
    private long done;
    private long size;

    /** Takes over {@code copy} (null: nothing to carry); the previous one must be finished. */
    void start(StagedCopy copy) {
        if (done < size) {
            throw new IllegalStateException("a staged copy started before the previous one finished");
        }
        done = 0;
        size = copy == null ? 0 : copy.byteSize();
        from = copy == null ? null : copy.from();
        to = copy == null ? null : copy.to();
        fromAddress = size == 0 ? 0 : NativeMemory.address(from, 0, size);
        toAddress = size == 0 ? 0 : NativeMemory.address(to, 0, size);
    }

    /** Where the next byte to copy is read (an address in {@link NativeMemory#ALL}). */
    long source() {
        return fromAddress + done;
    }

    /** Where the next byte to copy is written. */
    long target() {
        return toAddress + done;
    }

    /**
     * Whole lines left, which a kernel of {@code steps} steps copies one per step from {@link #source()} to
     * {@link #target()} before it reports them with {@link #advance}.
     */
    long lines(long steps) {
        return Math.min((size - done) / LINE, Math.max(0, steps));
    }

    /** {@code lines} lines were copied. */
    void advance(long lines) {
        long bytes = lines * LINE;
        if (bytes < 0 || done + bytes > size) {
            throw new IllegalStateException(bytes + " bytes copied of " + (size - done) + " left");
        }
        done += bytes;
    }

    /** Copies what is left. */
    void finish() {
        if (done < size) {
            MemorySegment.copy(from, done, to, done, size - done);
            done = size;
        }
    }
}
