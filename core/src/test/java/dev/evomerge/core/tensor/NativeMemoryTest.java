package dev.evomerge.core.tensor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link NativeMemory#address} checks what an access through the segment itself would: the range, native memory, and
 * memory not yet freed; what it returns reaches the segment's bytes through {@link NativeMemory#ALL}.
 */
class NativeMemoryTest {

    @Test
    void theAddressReachesTheSegmentsBytesThroughAll() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(64, 8);
            s.set(ValueLayout.JAVA_LONG, 8, 0x0123_4567_89AB_CDEFL);
            long a = NativeMemory.address(s, 0, 64);
            assertThat(a).isEqualTo(s.address());
            assertThat(NativeMemory.ALL.get(ValueLayout.JAVA_LONG, a + 8)).isEqualTo(0x0123_4567_89AB_CDEFL);
            NativeMemory.ALL.set(ValueLayout.JAVA_INT, a + 60, 42);
            assertThat(s.get(ValueLayout.JAVA_INT, 60)).isEqualTo(42);
            assertThat(NativeMemory.address(s, 64, 64)).isEqualTo(s.address()); // an empty range at the end
        }
    }

    @Test
    void aRangeOutsideTheSegmentFails() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(64, 8);
            assertThatThrownBy(() -> NativeMemory.address(s, 0, 65)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> NativeMemory.address(s, -2, 10)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> NativeMemory.address(s, 40, 20)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> NativeMemory.address(s.asSlice(16, 8), 0, 9))
                    .isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    @Test
    void heapAndFreedMemoryFail() {
        MemorySegment heap = MemorySegment.ofArray(new byte[64]);
        assertThatThrownBy(() -> NativeMemory.address(heap, 0, 8)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not native");
        MemorySegment freed;
        try (Arena arena = Arena.ofConfined()) {
            freed = arena.allocate(64, 8);
        }
        assertThatThrownBy(() -> NativeMemory.address(freed, 0, 8)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("freed");
    }
}
