package dev.evomerge.merge.exec;

import dev.evomerge.core.io.MappedPageAdvice;

import java.lang.foreign.MemorySegment;

/**
 * What a merge that writes files does with the memory-mapped pages of its inputs: maps a tensor's pages in one call
 * before merging it ({@link MappedPageAdvice#populate}: the file's pages are usually in the page cache already, from
 * the previous candidate) and drops them from the process once it is merged ({@link MappedPageAdvice#release}), so
 * the resident set of a large merge stays small. Anonymous memory is never touched; on other systems this does
 * nothing.
 */
final class MappedPages {

    private MappedPages() {
    }

    /** Maps the whole pages inside {@code segment} if it is a file mapping. Failures are ignored. */
    static void populate(MemorySegment segment) {
        MappedPageAdvice.populate(segment);
    }

    /** Releases the whole pages inside {@code segment} if it is a file mapping. Failures are ignored. */
    static void release(MemorySegment segment) {
        MappedPageAdvice.release(segment);
    }
}
