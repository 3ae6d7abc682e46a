package dev.evomerge.core.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.assertj.core.api.Assertions.assertThat;

class MappedPageAdviceTest {

    private static final int MIB = 1 << 20;

    @TempDir
    Path tmp;

    @Test
    void populateMapsAFilesPagesAndReleaseDropsThemWithoutChangingTheData() throws IOException {
        assertThat(MappedPageAdvice.available()).as("Linux with native access (the build's JVM flags)").isTrue();
        Path file = tmp.resolve("data.bin");
        byte[] bytes = new byte[32 * MIB];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 31 + 7);
        }
        Files.write(file, bytes); // now in the page cache
        try (Arena arena = Arena.ofConfined();
             FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment m = ch.map(FileChannel.MapMode.READ_ONLY, 0, bytes.length, arena);
            long before = rssFileKib();
            MappedPageAdvice.populate(m);
            long populated = rssFileKib();
            // other threads map a little meanwhile (class files), never 24 MiB of it
            assertThat(populated - before).as("KiB of file pages mapped by one call").isGreaterThan(24 * 1024);
            MappedPageAdvice.release(m);
            assertThat(populated - rssFileKib()).as("KiB of file pages dropped").isGreaterThan(24 * 1024);
            for (int i = 0; i < bytes.length; i += 4093) {
                assertThat(m.get(ValueLayout.JAVA_BYTE, i)).isEqualTo(bytes[i]);
            }
        }
    }

    @Test
    void anonymousAndHeapMemoryIsLeftAlone() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment native_ = arena.allocate(4L * MIB, 4096);
            native_.fill((byte) 5);
            MappedPageAdvice.release(native_); // DONTNEED on anonymous memory would zero it
            MappedPageAdvice.populate(native_);
            assertThat(native_.get(ValueLayout.JAVA_BYTE, 3L * MIB)).isEqualTo((byte) 5);
        }
        byte[] heap = {1, 2, 3};
        MappedPageAdvice.release(MemorySegment.ofArray(heap));
        assertThat(heap).containsExactly(1, 2, 3);
    }

    /** The process's resident file-backed pages (RssFile in /proc/self/status), KiB. */
    private static long rssFileKib() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("RssFile:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no RssFile in /proc/self/status");
    }
}
