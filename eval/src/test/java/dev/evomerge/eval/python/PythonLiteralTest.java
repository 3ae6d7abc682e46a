package dev.evomerge.eval.python;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PythonLiteralTest {

    @Test
    void parsesListsOfQuotedStringsWithEscapes() {
        assertThat(PythonLiteral.parse("['a', \"b's\", 'c\\n', 'it\\'s', \"say \\\"hi\\\"\"]"))
                .isEqualTo(List.of("a", "b's", "c\n", "it's", "say \"hi\""));
    }

    @Test
    void parsesNumbersConstantsTuplesAndDicts() {
        assertThat(PythonLiteral.parse("(1, -2, 3.5, True, None, 'x')"))
                .isEqualTo(java.util.Arrays.asList(1L, -2L, 3.5, true, null, "x"));
        assertThat(PythonLiteral.parse("{'a': [1, 2], 'b': {}}")).isEqualTo(Map.of("a", List.of(1L, 2L), "b", Map.of()));
        assertThat(PythonLiteral.parse("[]")).isEqualTo(List.of());
        assertThat(PythonLiteral.parse("'ab' 'cd'")).isEqualTo("abcd");
        assertThat(PythonLiteral.parse("['x',]")).isEqualTo(List.of("x"));
    }

    @Test
    void reprRoundTripsThroughParse() {
        List<Object> value = List.of("it's", "a \"q\"", "back\\slash", "new\nline", "한국어");
        assertThat(PythonLiteral.parse(PythonValues.repr(value))).isEqualTo(value);
        // Python: repr("it's") == "\"it's\"", repr('a') == "'a'"
        assertThat(PythonValues.repr(List.of("it's", "a"))).isEqualTo("[\"it's\", 'a']");
    }

    @Test
    void rejectsNonLiterals() {
        assertThatThrownBy(() -> PythonLiteral.parse("Paris, France")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PythonLiteral.parse("['a'")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void strSpellsBooleansAndIntsAsPython() {
        assertThat(PythonValues.str(true)).isEqualTo("True");
        assertThat(PythonValues.str(3L)).isEqualTo("3");
    }

    @Test
    void pythonLengthCountsCodePoints() {
        assertThat(PythonValues.length("a😀b")).isEqualTo(3);
        assertThat("a😀b".length()).isEqualTo(4);
        assertThat(PythonValues.isDigit("042")).isTrue();
        assertThat(PythonValues.isDigit("4.2")).isFalse();
        assertThat(PythonValues.rstrip("답변:  \n")).isEqualTo("답변:");
    }
}
