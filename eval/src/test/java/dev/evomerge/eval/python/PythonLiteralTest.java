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
    void floatReprMatchesPython() {
        // repr() of these floats in CPython
        assertThat(PythonValues.floatRepr(1e-05)).isEqualTo("1e-05");
        assertThat(PythonValues.floatRepr(1e16)).isEqualTo("1e+16");
        assertThat(PythonValues.floatRepr(123456789012345678.0)).isEqualTo("1.2345678901234568e+17");
        assertThat(PythonValues.floatRepr(0.1)).isEqualTo("0.1");
        assertThat(PythonValues.floatRepr(-0.0)).isEqualTo("-0.0");
        assertThat(PythonValues.floatRepr(2.5e-4)).isEqualTo("0.00025");
        assertThat(PythonValues.floatRepr(1234.5)).isEqualTo("1234.5");
        assertThat(PythonValues.floatRepr(2.0)).isEqualTo("2.0");
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
