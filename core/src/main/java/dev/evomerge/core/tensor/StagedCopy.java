package dev.evomerge.core.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Bytes that a {@link RowBlockTarget} has laid out in their final form in a staging buffer ({@code from}) and leaves
 * to its producer to copy to their home ({@code to}): see {@link RowBlockTarget#putQuietRowsStaged}.
 */
public record StagedCopy(MemorySegment from, MemorySegment to) {

    public StagedCopy {
        if (from.byteSize() != to.byteSize()) {
            throw new IllegalArgumentException("a staged copy of " + from.byteSize() + " bytes into "
                    + to.byteSize());
        }
        if (!from.isNative() || !to.isNative()) {
            throw new IllegalArgumentException("a staged copy needs native memory at both ends");
        }
    }

    public long byteSize() {
        return from.byteSize();
    }
}
