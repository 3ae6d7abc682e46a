package dev.evomerge.merge.method;

/**
 * How many inputs a method accepts in a config, counting the non-base inputs (for {@link BaseModelUse#JUST_AN_INPUT}
 * methods: all inputs). For config validation; at merge time a method tolerates fewer inputs where mergekit does
 * (an optional tensor absent from some models).
 */
public record InputArity(int min, int max) {

    public static InputArity atLeast(int min) {
        return new InputArity(min, Integer.MAX_VALUE);
    }

    public static InputArity exactly(int n) {
        return new InputArity(n, n);
    }

    public boolean accepts(int n) {
        return n >= min && n <= max;
    }

    @Override
    public String toString() {
        return max == Integer.MAX_VALUE ? "at least " + min : min == max ? "exactly " + min : min + " to " + max;
    }
}
