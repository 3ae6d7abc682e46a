package dev.evomerge.merge.output;

import dev.evomerge.core.EvomergeException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** --out-shard-size is bytes (as in mergekit, whose help text says "parameters") with decimal K/M/B suffixes. */
class ShardSizeTest {

    @ParameterizedTest
    @CsvSource({"5B, 5000000000", "500M, 500000000", "1k, 1000", "1024, 1024", "1.5B, 1500000000", "2m, 2000000"})
    void parsesBytesWithDecimalSuffixes(String text, long bytes) {
        assertThat(ShardSize.parse(text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "B", "5G", "-1M", "0", "1e9", "five"})
    void rejectsAnythingElse(String text) {
        assertThatThrownBy(() -> ShardSize.parse(text)).isInstanceOf(EvomergeException.class)
                .hasMessageStartingWith("--out-shard-size '" + text + "' is not a size");
    }
}
