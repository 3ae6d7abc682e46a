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
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Huge-page buffers are ordinary zero-filled memory of the asked size whose whole 2 MiB stretches carry the
 * kernel's huge-page advice ({@code hg} in {@code /proc/self/smaps}, which does not depend on whether the kernel
 * has a free 2 MiB page at the moment), freed with their arena; mapped files keep their bytes.
 */
class HugePagesTest {

    private static final long MIB = 1 << 20;

    @TempDir
    Path tmp;

    @Test
    void aLargeBufferIsZeroFilledAlignedAdvisedAndUnmappedWithItsArena() throws IOException {
        assertThat(HugePages.available()).as("Linux with native access (the build's JVM flags)").isTrue();
        long bytes = 8 * MIB + 12_345;
        long fallbacks = HugePages.fallbacks();
        long address;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = HugePages.allocate(bytes, arena);
            address = s.address();
            assertThat(s.byteSize()).isEqualTo(bytes);
            assertThat(address % HugePages.SIZE).as("starts on a 2 MiB boundary").isZero();
            for (long i = 0; i < bytes; i += 4093) {
                assertThat(s.get(ValueLayout.JAVA_BYTE, i)).isZero();
                s.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 7 + 1));
            }
            s.set(ValueLayout.JAVA_BYTE, bytes - 1, (byte) 9);
            for (long i = 0; i < bytes; i += 4093) {
                assertThat(s.get(ValueLayout.JAVA_BYTE, i)).isEqualTo((byte) (i * 7 + 1));
            }
            assertThat(s.get(ValueLayout.JAVA_BYTE, bytes - 1)).isEqualTo((byte) 9);
            assertThat(vmFlags(address)).as("VmFlags of the buffer's mapping").contains("hg");
            assertThat(HugePages.fallbacks()).isEqualTo(fallbacks);
        }
        assertThat(vmFlags(address)).as("no mapping left after the arena closed").isNull();
    }

    @Test
    void aBufferBelowOneHugePageIsOrdinaryArenaMemory() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = HugePages.allocate(HugePages.SIZE - 64, arena);
            assertThat(s.byteSize()).isEqualTo(HugePages.SIZE - 64);
            assertThat(s.address() % 64).isZero();
            assertThat(s.get(ValueLayout.JAVA_LONG, 1024)).isZero();
            String flags = vmFlags(s.address());
            assertThat(flags).as("VmFlags of the malloc heap or mapping holding it").isNotNull();
            assertThat(flags).doesNotContain("hg");
        }
    }

    @Test
    void anAdvisedFileMappingReadsTheFilesBytes() throws IOException {
        Path file = tmp.resolve("data.bin");
        byte[] bytes = new byte[(int) (6 * MIB + 100)];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 31 + 7);
        }
        Files.write(file, bytes);
        try (Arena arena = Arena.ofConfined();
             FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment m = ch.map(FileChannel.MapMode.READ_ONLY, 0, bytes.length, arena);
            HugePages.adviseMapped(m);
            // the kernel places a mapping of 2 MiB or more on a 2 MiB boundary only where it can map huge pages
            // of the file; the advice covers the whole 2 MiB stretches inside it in any case
            long firstWhole = (m.address() + HugePages.SIZE - 1) / HugePages.SIZE * HugePages.SIZE;
            assertThat(vmFlags(firstWhole)).contains("hg");
            for (int i = 0; i < bytes.length; i += 4093) {
                assertThat(m.get(ValueLayout.JAVA_BYTE, i)).isEqualTo(bytes[i]);
            }
        }
        HugePages.adviseMapped(MemorySegment.ofArray(new byte[16])); // not a mapping: nothing to do, no failure
    }

    /** The VmFlags line of the mapping holding address in /proc/self/smaps, or null when none holds it. */
    private static String vmFlags(long address) throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc/self/smaps"));
        boolean inside = false;
        for (String line : lines) {
            int dash = line.indexOf('-');
            int space = line.indexOf(' ');
            if (dash > 0 && space > dash && line.substring(0, dash).matches("[0-9a-f]+")) {
                long from = Long.parseUnsignedLong(line.substring(0, dash), 16);
                long to = Long.parseUnsignedLong(line.substring(dash + 1, space), 16);
                inside = Long.compareUnsigned(address, from) >= 0 && Long.compareUnsigned(address, to) < 0;
            } else if (inside && line.startsWith("VmFlags:")) {
                return line;
            }
        }
        return null;
    }
}
