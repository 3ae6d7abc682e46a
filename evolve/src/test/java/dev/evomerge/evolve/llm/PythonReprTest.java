package dev.evomerge.evolve.llm;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PythonReprTest {

    @Test
    void nestedListsFollowTheDimensions() {
        assertThat(PythonRepr.ofNestedInts(new int[] {1, 2, 3, 4, 5, 6}, new int[] {1, 3, 1, 2}))
                .isEqualTo("[[[[1, 2]], [[3, 4]], [[5, 6]]]]");
    }
}
