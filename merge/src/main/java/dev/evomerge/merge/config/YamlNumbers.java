package dev.evomerge.merge.config;

/** Prints numbers the way a person writes them in YAML: integers without ".0", others in shortest round-trip form. */
final class YamlNumbers {

    private YamlNumbers() {
    }

    static String format(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        if (Double.isNaN(v)) {
            return ".nan";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? ".inf" : "-.inf";
        }
        return Double.toString(v);
    }
}
