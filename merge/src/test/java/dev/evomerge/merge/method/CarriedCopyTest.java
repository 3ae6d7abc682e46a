package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.NativeMemory;
import dev.evomerge.core.tensor.StagedCopy;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A carried copy hands out whole lines at the right addresses, copies the rest when finished, and counts strictly. */
class CarriedCopyTest {

    @Test
    void linesAreHandedOutInOrderAndFinishCopiesTheRest() {
        try (Arena arena = Arena.ofConfined()) {
            // 200 bytes: three whole lines and 8 bytes that only finish copies
            MemorySegment from = arena.allocate(200, 64);
            MemorySegment to = arena.allocate(200, 64);
            for (int i = 0; i < 200; i++) {
                from.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 7 + 1));
            }
            CarriedCopy carry = new CarriedCopy();
            carry.start(new StagedCopy(from, to));
            assertThat(carry.lines(2)).isEqualTo(2);
            assertThat(carry.source()).isEqualTo(from.address());
            assertThat(carry.target()).isEqualTo(to.address());
            // a kernel copies the lines it was given, then reports them
            MemorySegment.copy(NativeMemory.ALL, carry.source(), NativeMemory.ALL, carry.target(), 2 * 64);
            carry.advance(2);
            assertThat(carry.source()).isEqualTo(from.address() + 128);
            assertThat(carry.target()).isEqualTo(to.address() + 128);
            assertThat(carry.lines(100)).isEqualTo(1);
            assertThat(carry.lines(-3)).isZero();
            assertThatThrownBy(() -> carry.advance(2)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("72 left");
            assertThatThrownBy(() -> carry.start(null)).isInstanceOf(IllegalStateException.class);
            carry.finish();
            assertThat(to.mismatch(from)).isEqualTo(-1);
            assertThat(carry.lines(5)).isZero();
            carry.start(null);
            assertThat(carry.lines(5)).isZero();
            carry.finish();
        }
    }

    @Test
    void aStagedCopyNeedsEqualSizesInNativeMemory() {
        try (Arena arena = Arena.ofConfined()) {
            assertThatThrownBy(() -> new StagedCopy(arena.allocate(64), arena.allocate(128)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("64 bytes into 128");
            assertThatThrownBy(() -> new StagedCopy(MemorySegment.ofArray(new byte[64]), arena.allocate(64)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("native");
        }
    }
}
