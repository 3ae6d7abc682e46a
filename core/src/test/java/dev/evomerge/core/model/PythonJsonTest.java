package dev.evomerge.core.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PythonJsonTest {

    // expected strings are Python 3's repr() of the same doubles
    @ParameterizedTest
    @CsvSource({
            "1e-5, 1e-05",
            "1e-6, 1e-06",
            "10000.0, 10000.0",
            "1000000, 1000000.0",
            "0.02, 0.02",
            "0.1, 0.1",
            "1e16, 1e+16",
            "1e15, 1000000000000000.0",
            "123.456, 123.456",
            "-2.5e-7, -2.5e-07",
            "4.9e-324, 5e-324",
            "1.7976931348623157e308, 1.7976931348623157e+308",
            "0.0001, 0.0001",
            "123456789.123, 123456789.123",
            "3, 3.0",
            "1e22, 1e+22",
            "0.30000000000000004, 0.30000000000000004",
            "-0.0, -0.0",
            "0, 0.0"})
    void floatsAreSpelledLikePythonRepr(double value, String python) {
        assertThat(PythonJson.pythonFloat(value)).isEqualTo(python);
    }

    @Test
    void randomDoublesMatchPythonRepr() {
        PythonScripts.require();
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(7);
        StringBuilder bits = new StringBuilder();
        StringBuilder ours = new StringBuilder();
        for (int i = 0; i < 3000; i++) {
            // every exponent range: raw bit patterns, plus short decimals like 0.3 or 2e-05
            double d = i % 2 == 0 ? Double.longBitsToDouble(rnd.nextLong())
                    : (rnd.nextInt(1000) + 1) * Math.pow(10, rnd.nextInt(-30, 30));
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                continue;
            }
            bits.append(Long.toHexString(Double.doubleToRawLongBits(d))).append('\n');
            ours.append(PythonJson.pythonFloat(d)).append('\n');
        }
        String python = PythonScripts.run("""
                import struct, sys
                for line in open(sys.argv[1]).read().split():
                    print(repr(struct.unpack('<d', int(line, 16).to_bytes(8, 'little'))[0]))
                """, writeTemp(bits.toString()));
        assertThat(ours.toString()).isEqualTo(python);
    }

    private static String writeTemp(String text) {
        try {
            java.nio.file.Path f = java.nio.file.Files.createTempFile("doubles", ".txt");
            f.toFile().deleteOnExit();
            java.nio.file.Files.writeString(f, text);
            return f.toString();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
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
