package dev.evomerge.core.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * All native memory as one constant segment, for the hot vector loops (the merge kernels' bf16 loops, the packing of
 * bf16 weights into the engine's panels) that read and write native tensors at absolute addresses, checked once per
 * call by {@link #address} instead of at every access.
 *
 * <p>Why: through a tensor's own segment, each vector access compiles to code that depends on type profiles which the
 * JDK's memory-access methods share with every other caller in the process. Once anything else had used them with
 * other kinds of segment (the engine's loading, heap segments), C2 compiled the merge loops with type tests and slower
 * paths: the same task_arithmetic loop over a 760M-parameter model ran in 0.25 s on one core in a fresh JVM, 0.34 s
 * in one that had loaded a model and 0.82 s after heap-segment use (docs/benchmarks.md, "Kernels that do not depend on
 * what ran before"). A constant has an exact type, so a loop through it compiles the same whatever ran before.
 */
public final class NativeMemory {

    /** Every address: bounds and liveness are the caller's, checked by {@link #address}. */
    public static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private NativeMemory() {
    }

    /**
     * The address of {@code s}'s first byte, after checking what each access through {@code s} would have checked for
     * bytes {@code [fromByte, toByte)}: that they lie within it, that it is native memory, and that its memory has not
     * been freed. A loop that then accesses only those bytes through {@link #ALL} is as safe as one through {@code s},
     * as long as nothing frees {@code s} while it runs (the merge and the engine free their buffers only after).
     */
    public static long address(MemorySegment s, long fromByte, long toByte) {
        Objects.checkFromToIndex(fromByte, toByte, s.byteSize());
        if (!s.isNative()) {
            throw new IllegalArgumentException("not native memory: " + s);
        }
        if (!s.scope().isAlive()) {
            throw new IllegalStateException("the memory of a tensor was freed while it was being read or written");
        }
        return s.address();
    }
}
