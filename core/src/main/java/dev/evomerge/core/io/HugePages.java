package dev.evomerge.core.io;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Large weight buffers and mapped model files in 2 MiB pages (Linux transparent huge pages, asked for with
 * {@code madvise(MADV_HUGEPAGE)}; the system default here, {@code enabled = madvise}, gives them to no one who does
 * not ask). Why: a merge streams gigabytes through a handful of sequential streams, and with 4 KiB pages every 4 KiB
 * of every stream costs a TLB miss (a two-level page walk on a virtual machine) and restarts the hardware
 * prefetcher. Measured on a virtual machine with an AMD EPYC (docs/benchmarks.md, "760M re-merge: what limits
 * linear and task_arithmetic"): the re-merge of three 760M-parameter bf16 models into the engine's weights took
 * 1.6 / 1.8 CPU-seconds (linear / task_arithmetic) with the inputs' page cache in 4 KiB pages and 1.1 / 1.0 with
 * it in 2 MiB folios.
 *
 * <p>Only an advice: where it cannot be given (not Linux, no native access, a failed call) the memory is what it
 * would have been, and {@link #fallbacks} counts the buffers that got ordinary memory. The contents never depend
 * on it.
 */
public final class HugePages {

    /** The huge page size of x86-64 and arm64 Linux with 4 KiB base pages. */
    public static final long SIZE = 2L << 20;
    private static final int MADV_HUGEPAGE = 14;
    private static final int PROT_READ_WRITE = 0x3;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
    private static final Natives NATIVES = Natives.lookup();
    private static final AtomicLong FALLBACKS = new AtomicLong();

    private HugePages() {
    }

    /** mmap, munmap and madvise, or null where they cannot be called. */
    private record Natives(MethodHandle mmap, MethodHandle munmap, MethodHandle madvise) {

        static Natives lookup() {
            if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
                return null;
            }
            try {
                Linker linker = Linker.nativeLinker();
                var lookup = linker.defaultLookup();
                MethodHandle mmap = linker.downcallHandle(lookup.find("mmap").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                                ValueLayout.JAVA_LONG));
                MethodHandle munmap = linker.downcallHandle(lookup.find("munmap").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
                MethodHandle madvise = linker.downcallHandle(lookup.find("madvise").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                                ValueLayout.JAVA_INT));
                return new Natives(mmap, munmap, madvise);
            } catch (RuntimeException | LinkageError e) {
                return null; // native access unavailable: ordinary pages, counted as fallbacks
            }
        }
    }

    /** Whether huge pages can be asked for here (Linux, native access granted). */
    public static boolean available() {
        return NATIVES != null;
    }

    /** How many buffers of at least {@link #SIZE} got ordinary memory because the advice could not be given. */
    public static long fallbacks() {
        return FALLBACKS.get();
    }

    /**
     * A zero-filled native buffer of {@code bytes}, 64-byte aligned, freed when {@code arena} closes (or, for an
     * automatic arena, when it becomes unreachable). From {@link #SIZE} bytes up its whole 2 MiB stretches are
     * advised into huge pages before anything touches them, so the kernel fills them with 2 MiB pages from the
     * first write (when it has any free; otherwise 4 KiB pages, as without the advice); the tail beyond the last
     * whole stretch stays in 4 KiB pages, so rounding adds nothing to the resident set. Smaller buffers are
     * {@code arena.allocate(bytes, 64)}.
     */
    public static MemorySegment allocate(long bytes, Arena arena) {
        if (bytes < SIZE) {
            return arena.allocate(bytes, 64);
        }
        if (NATIVES == null) {
            FALLBACKS.incrementAndGet();
            return arena.allocate(bytes, 64);
        }
        // SIZE more than asked, to start on a 2 MiB boundary; the slack before and after is never touched
        long length = bytes + SIZE;
        MemorySegment raw;
        try {
            raw = (MemorySegment) NATIVES.mmap().invokeExact(MemorySegment.NULL, length, PROT_READ_WRITE,
                    MAP_PRIVATE_ANONYMOUS, -1, 0L);
        } catch (Throwable e) {
            raw = null;
        }
        if (raw == null || raw.address() == -1L || raw.address() == 0L) {
            FALLBACKS.incrementAndGet();
            return arena.allocate(bytes, 64);
        }
        long start = (raw.address() + SIZE - 1) / SIZE * SIZE;
        if (!advise(start, bytes / SIZE * SIZE, MADV_HUGEPAGE)) {
            FALLBACKS.incrementAndGet(); // still a valid zero-filled mapping, in 4 KiB pages
        }
        long mapped = raw.address();
        return MemorySegment.ofAddress(start).reinterpret(bytes, arena, s -> unmap(mapped, length));
    }

    /**
     * Advises a mapped file's whole 2 MiB stretches into huge pages: pages the kernel reads in from now on come in
     * 2 MiB folios mapped with one entry each (file systems with large folios, Linux 6.x); pages already in the page
     * cache in smaller pieces stay as they are until they are evicted and read again. Anonymous memory is not
     * advised here (see {@link #allocate}).
     */
    public static void adviseMapped(MemorySegment mapping) {
        if (NATIVES == null || !mapping.isMapped()) {
            return;
        }
        long start = (mapping.address() + SIZE - 1) / SIZE * SIZE;
        long end = (mapping.address() + mapping.byteSize()) / SIZE * SIZE;
        if (end > start) {
            advise(start, end - start, MADV_HUGEPAGE); // an advice only: a failure changes nothing read
        }
    }

    private static boolean advise(long address, long length, int advice) {
        if (length == 0) {
            return true;
        }
        try {
            return (int) NATIVES.madvise().invokeExact(MemorySegment.ofAddress(address), length, advice) == 0;
        } catch (Throwable e) {
            return false;
        }
    }

    private static void unmap(long address, long length) {
        try {
            int ignored = (int) NATIVES.munmap().invokeExact(MemorySegment.ofAddress(address), length);
        } catch (Throwable e) {
            // nothing to do: the address range stays reserved, its pages were the arena's to free
        }
    }
}
