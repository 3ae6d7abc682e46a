package dev.evomerge.merge.exec;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

/**
 * Drops the pages of a memory-mapped input tensor from this process once it has been merged
 * ({@code madvise(MADV_DONTNEED)} on Linux). The data stays in the page cache and a later read faults it back in,
 * so this only keeps the resident set of a large merge from growing to the size of all inputs. Anonymous memory is
 * never touched (there DONTNEED would zero it); on other systems this does nothing.
 */
final class MappedPages {

    private static final int MADV_DONTNEED = 4;
    private static final MethodHandle MADVISE = lookup();
    private static final long PAGE = 4096;

    private MappedPages() {
    }

    private static MethodHandle lookup() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return null;
        }
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("madvise").map(addr -> linker.downcallHandle(addr,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_INT))).orElse(null);
        } catch (RuntimeException | LinkageError e) {
            return null; // native access unavailable: releasing pages is an optimisation only
        }
    }

    /** Releases the whole pages inside {@code segment} if it is a file mapping. Failures are ignored. */
    static void release(MemorySegment segment) {
        if (MADVISE == null || !segment.isMapped()) {
            return;
        }
        long start = (segment.address() + PAGE - 1) / PAGE * PAGE;
        long end = (segment.address() + segment.byteSize()) / PAGE * PAGE;
        if (end <= start) {
            return;
        }
        try {
            int ignored = (int) MADVISE.invokeExact(MemorySegment.ofAddress(start), end - start, MADV_DONTNEED);
        } catch (Throwable e) {
            // an optimisation only; the merge result does not depend on it
        }
    }
}
