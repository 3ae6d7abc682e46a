package dev.evomerge.eval.python;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** Golden values printed by CPython 3's random module (see the comments for the expressions). */
class PythonRandomTest {

    private static List<Integer> range(int n) {
        return IntStream.range(0, n).boxed().toList();
    }

    @Test
    void getrandbitsMatchesCpythonForSmallAndLargeSeeds() {
        // random.Random(1234).getrandbits(32) three times
        PythonRandom r = new PythonRandom(1234);
        assertThat(List.of(r.getrandbits(32), r.getrandbits(32), r.getrandbits(32)))
                .containsExactly(4150886329L, 3342196574L, 1892932127L);
        // random.Random(2**40 + 5).getrandbits(32): a seed of two 32-bit words
        assertThat(new PythonRandom(BigInteger.TWO.pow(40).add(BigInteger.valueOf(5))).getrandbits(32))
                .isEqualTo(2166296868L);
    }

    @Test
    void randomMatchesCpython() {
        PythonRandom zero = new PythonRandom(0);
        assertThat(zero.random()).isEqualTo(0.8444218515250481);
        assertThat(zero.random()).isEqualTo(0.7579544029403025);
        assertThat(new PythonRandom(1234).random()).isEqualTo(0.9664535356921388);
    }

    @Test
    void sampleUsesPoolAndSetStrategiesLikeCpython() {
        PythonRandom r = new PythonRandom(1234);
        // r.sample(range(10), 3); r.sample(range(100), 7) (set strategy); r.sample(range(30), 2)
        assertThat(r.sample(range(10), 3)).containsExactly(7, 1, 0);
        assertThat(r.sample(range(100), 7)).containsExactly(11, 74, 4, 85, 88, 10, 12);
        assertThat(r.sample(range(30), 2)).containsExactly(24, 11);
        // random.Random(7).sample(range(40), 6)
        assertThat(new PythonRandom(7).sample(range(40), 6)).containsExactly(20, 9, 25, 3, 4, 34);
    }

    @Test
    void choicesMatchesCpython() {
        // random.Random(3).choices([1, 2, 3, 4, 5], k=8) == [2, 3, 2, 4, 4, 1, 1, 5]
        int[] idx = new PythonRandom(3).choiceIndices(5, 8);
        assertThat(Arrays.stream(idx).map(i -> i + 1).toArray()).containsExactly(2, 3, 2, 4, 4, 1, 1, 5);
    }
}
