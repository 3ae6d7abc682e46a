package dev.evomerge.core.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PythonJsonTest {

    @Test
    void nonFiniteFloatsAreSpelledAsPythonsJsonModuleWritesThem() {
        // json.dumps([float('nan'), float('inf'), -float('inf'), 1e-05]) == '[NaN, Infinity, -Infinity, 1e-05]'
        assertThat(PythonJson.jsonFloat(Double.NaN)).isEqualTo("NaN");
        assertThat(PythonJson.jsonFloat(Double.POSITIVE_INFINITY)).isEqualTo("Infinity");
        assertThat(PythonJson.jsonFloat(Double.NEGATIVE_INFINITY)).isEqualTo("-Infinity");
        assertThat(PythonJson.jsonFloat(1e-5)).isEqualTo("1e-05");
    }

    @Test
    void layoutMatchesPythonJsonDumpsWithIndentTwo() throws Exception {
        ObjectNode node = (ObjectNode) new ObjectMapper().readTree(
                "{\"b\":[1,{\"x\":null}],\"a\":{},\"c\":[],\"s\":\"\\u00e9\\u0001\\\"\\\\/\\u007f\",\"f\":1e-05}");
        // json.dumps(obj, indent=2) in Python 3 for the same object
        String expected = """
                {
                  "b": [
                    1,
                    {
                      "x": null
                    }
                  ],
                  "a": {},
                  "c": [],
                  "s": "\\u00e9\\u0001\\"\\\\/\\u007f",
                  "f": 1e-05
                }""";
        assertThat(PythonJson.write(node, true)).isEqualTo(expected);
        assertThat(PythonJson.document(node, true)).isEqualTo(expected + "\n");
    }

    @Test
    void withoutEnsureAsciiNonAsciiCharactersStayRaw() throws Exception {
        ObjectNode node = (ObjectNode) new ObjectMapper().readTree("{\"s\":\"\\u00e9\\u0120\\n\"}");
        assertThat(PythonJson.write(node, false)).isEqualTo("{\n  \"s\": \"\u00e9\u0120\\n\"\n}");
    }
}
