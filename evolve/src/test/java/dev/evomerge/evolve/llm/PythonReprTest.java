package dev.evomerge.evolve.llm;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PythonReprTest {

    @Test
    void floatsPrintAsPythonReprDoes() {
        assertThat(PythonRepr.ofDouble(0.62)).isEqualTo("0.62");
        assertThat(PythonRepr.ofDouble(1.0)).isEqualTo("1.0");
        assertThat(PythonRepr.ofDouble(-2.5)).isEqualTo("-2.5");
        assertThat(PythonRepr.ofDouble(0.1 + 0.2)).isEqualTo("0.30000000000000004");
        assertThat(PythonRepr.ofDouble(1e-5)).isEqualTo("1e-05");
        assertThat(PythonRepr.ofDouble(1.5e-7)).isEqualTo("1.5e-07");
        assertThat(PythonRepr.ofDouble(0.0001)).isEqualTo("0.0001");
        assertThat(PythonRepr.ofDouble(1e16)).isEqualTo("1e+16");
        assertThat(PythonRepr.ofDouble(123456789.0)).isEqualTo("123456789.0");
        assertThat(PythonRepr.ofDouble(Double.NEGATIVE_INFINITY)).isEqualTo("-inf");
    }

    @Test
    void nestedListsFollowTheDimensions() {
        assertThat(PythonRepr.ofNestedInts(new int[] {1, 2, 3, 4, 5, 6}, new int[] {1, 3, 1, 2}))
                .isEqualTo("[[[[1, 2]], [[3, 4]], [[5, 6]]]]");
    }
}
