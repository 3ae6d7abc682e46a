package dev.evomerge.core.io;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Python's spelling of a float, which lm-eval's results, transformers' JSON files and the prompts shown to an LLM
 * use.
 */
public final class PythonFloat {

    private PythonFloat() {
    }

    /**
     * {@code repr(d)}: shortest round-trip digits, exponent form below 1e-4 and from 1e16, {@code nan},
     * {@code inf} and {@code -inf}.
     */
    public static String repr(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0) {
            return (Double.doubleToRawLongBits(d) < 0) ? "-0.0" : "0.0";
        }
        // Double.toString gives the shortest round-trip digits (JDK 19+), like Python's repr.
        BigDecimal shortest = shortestDecimal(Math.abs(d));
        String digits = shortest.unscaledValue().toString();
        int exponent = digits.length() - 1 - shortest.scale();
        StringBuilder s = new StringBuilder();
        if (d < 0) {
            s.append('-');
        }
        if (exponent >= -4 && exponent < 16) {
            if (exponent >= 0) {
                if (digits.length() <= exponent + 1) {
                    s.append(digits).append("0".repeat(exponent + 1 - digits.length())).append(".0");
                } else {
                    s.append(digits, 0, exponent + 1).append('.').append(digits, exponent + 1, digits.length());
                }
            } else {
                s.append("0.").append("0".repeat(-exponent - 1)).append(digits);
            }
        } else {
            s.append(digits.charAt(0));
            if (digits.length() > 1) {
                s.append('.').append(digits, 1, digits.length());
            }
            s.append('e').append(exponent < 0 ? '-' : '+');
            int abs = Math.abs(exponent);
            if (abs < 10) {
                s.append('0');
            }
            s.append(abs);
        }
        return s.toString();
    }

    /**
     * The shortest decimal that reads back as {@code x}, the closest one among equally short. Double.toString is
     * that except when one digit would do: it then may give two (4.9E-324 where Python prints 5e-324).
     */
    private static BigDecimal shortestDecimal(double x) {
        BigDecimal javaDigits = new BigDecimal(Double.toString(x)).stripTrailingZeros();
        if (javaDigits.precision() != 2) {
            return javaDigits;
        }
        BigDecimal exact = new BigDecimal(x);
        BigDecimal best = null;
        BigDecimal down = javaDigits.setScale(javaDigits.scale() - 1, RoundingMode.FLOOR);
        BigDecimal up = javaDigits.setScale(javaDigits.scale() - 1, RoundingMode.CEILING);
        for (BigDecimal candidate : new BigDecimal[] {down, up}) {
            if (candidate.signum() > 0 && candidate.doubleValue() == x) {
                if (best == null || candidate.subtract(exact).abs().compareTo(best.subtract(exact).abs()) < 0) {
                    best = candidate;
                }
            }
        }
        return best == null ? javaDigits : best.stripTrailingZeros();
    }
}
