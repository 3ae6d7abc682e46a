package dev.evomerge.core.io;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

/**
 * {@code madvise} on the whole pages of a memory-mapped file region (Linux only; elsewhere, or without native access,
 * every call does nothing). Both advices only change how the process maps data that stays in the page cache, never
 * the data, so a failure is ignored: reading then faults the pages in as it would without the advice.
 */
public final class MappedPageAdvice {

    private static final int MADV_DONTNEED = 4;
    /** Linux 5.14+; an older kernel answers EINVAL, which is ignored. */
    private static final int MADV_POPULATE_READ = 22;
    private static final MethodHandle MADVISE = lookup();
    private static final long PAGE = 4096;

    private MappedPageAdvice() {
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
            return null; // native access unavailable: the advice is an optimisation only
        }
    }

    /** Whether the advice can take effect here (Linux, native access granted). */
    public static boolean available() {
        return MADVISE != null;
    }

    /**
     * Maps every page of {@code segment} into the process in one call before it is read, instead of one page fault
     * for every few pages (on a virtual machine each fault is a costly exit to the hypervisor): a file of 1.5 GB in
     * the page cache is about 23,000 faults. Pages not in the page cache are read in by the call.
     */
    public static void populate(MemorySegment segment) {
        advise(segment, MADV_POPULATE_READ);
    }

    /**
     * Drops the pages of {@code segment} from this process (they stay in the page cache and a later read maps them
     * again), so that the resident set of one pass over large inputs stays small.
     */
    public static void release(MemorySegment segment) {
        advise(segment, MADV_DONTNEED);
    }

    /** Anonymous memory is never advised (there DONTNEED would zero it): only file mappings. */
    private static void advise(MemorySegment segment, int advice) {
        if (MADVISE == null || !segment.isMapped()) {
            return;
        }
        long start = (segment.address() + PAGE - 1) / PAGE * PAGE;
        long end = (segment.address() + segment.byteSize()) / PAGE * PAGE;
        if (end <= start) {
            return;
        }
        try {
            int ignored = (int) MADVISE.invokeExact(MemorySegment.ofAddress(start), end - start, advice);
        } catch (Throwable e) {
            // an optimisation only; the data read does not depend on it
        }
    }
}
