package dev.evomerge.evolve.llm;

import java.math.BigDecimal;

/** Python's repr of floats and nested int lists: the seed shows the LLM its data in this form, not as JSON. */
final class PythonRepr {

    private PythonRepr() {
    }

    /** repr(float): shortest round-trip digits, 'inf'/'nan', exponent form outside [1e-4, 1e16). */
    static String ofDouble(double v) {
        if (Double.isNaN(v)) {
            return "nan";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "inf" : "-inf";
        }
        if (v == 0) {
            return (1 / v < 0) ? "-0.0" : "0.0";
        }
        BigDecimal d = new BigDecimal(Double.toString(v)).stripTrailingZeros(); // Java's toString is shortest round-trip
        double a = Math.abs(v);
        if (a >= 1e-4 && a < 1e16) {
            String s = d.toPlainString();
            return s.contains(".") ? s : s + ".0";
        }
        String unscaled = d.unscaledValue().abs().toString();
        int exp = unscaled.length() - 1 - d.scale();
        String mantissa = unscaled.length() == 1 ? unscaled : unscaled.charAt(0) + "." + unscaled.substring(1);
        return (v < 0 ? "-" : "") + mantissa + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
    }

    /** repr of a 4-level nested list of ints laid out row-major with the given dimensions. */
    static String ofNestedInts(int[] values, int[] dims) {
        StringBuilder sb = new StringBuilder();
        nest(sb, values, dims, 0, 0);
        return sb.toString();
    }

    private static int nest(StringBuilder sb, int[] values, int[] dims, int depth, int offset) {
        sb.append('[');
        for (int i = 0; i < dims[depth]; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            if (depth == dims.length - 1) {
                sb.append(values[offset++]);
            } else {
                offset = nest(sb, values, dims, depth + 1, offset);
            }
        }
        sb.append(']');
        return offset;
    }
}
