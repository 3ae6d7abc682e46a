package dev.evomerge.core.io;

import dev.evomerge.core.model.PythonScripts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class PythonFloatTest {

    // expected strings are Python 3's repr() of the same doubles
    @ParameterizedTest
    @CsvSource({
            "0.1, 0.1",
            "0.62, 0.62",
            "-2.5, -2.5",
            "2.0, 2.0",
            "3, 3.0",
            "1234.5, 1234.5",
            "123.456, 123.456",
            "0.02, 0.02",
            "2.5e-4, 0.00025",
            "0.0001, 0.0001",
            "1e-5, 1e-05",
            "1e-6, 1e-06",
            "1.5e-7, 1.5e-07",
            "-2.5e-7, -2.5e-07",
            "10000.0, 10000.0",
            "1000000, 1000000.0",
            "123456789.0, 123456789.0",
            "123456789.123, 123456789.123",
            "1e15, 1000000000000000.0",
            "1e16, 1e+16",
            "1e22, 1e+22",
            "123456789012345680.0, 1.2345678901234568e+17",
            "1.7976931348623157e308, 1.7976931348623157e+308",
            "4.9e-324, 5e-324",
            "0.30000000000000004, 0.30000000000000004",
            "0, 0.0",
            "-0.0, -0.0",
            "NaN, nan",
            "Infinity, inf",
            "-Infinity, -inf"})
    void spellsFloatsAsPythonsRepr(double value, String python) {
        assertThat(PythonFloat.repr(value)).isEqualTo(python);
    }

    @Test
    void randomDoublesMatchPythonRepr() {
        PythonScripts.require();
        SplittableRandom rnd = new SplittableRandom(7);
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
            ours.append(PythonFloat.repr(d)).append('\n');
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
            Path f = Files.createTempFile("doubles", ".txt");
            f.toFile().deleteOnExit();
            Files.writeString(f, text);
            return f.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
