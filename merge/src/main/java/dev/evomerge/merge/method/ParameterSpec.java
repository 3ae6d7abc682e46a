package dev.evomerge.merge.method;

/**
 * A parameter a merge method reads: its name as written in the YAML config, whether it is global (one value per
 * output tensor) or per model, its kind, and either a default or the fact that it is required.
 * A null {@code defaultValue} on an optional parameter means "unset" (Python None), e.g. passthrough's scale.
 * Booleans travel as numbers: true = 1.0, false = 0.0 (mergekit's pydantic coerces them the same way).
 * {@code gene} marks a numeric parameter that evolution searches over: a per-model one gets a gene per model, layer
 * group and filter; the global one of a method whose base is the t = 0 end (slerp) is decoded from per-model genes,
 * whose top two pick the ends. A method declaring genes can be evolved with no change to the genome code.
 */
public record ParameterSpec(String name, Scope scope, Kind kind, Double defaultValue, boolean required, boolean gene) {

    /** Where the value is resolved: global parameters against the output tensor name, per-model ones against each input. */
    public enum Scope { GLOBAL, PER_MODEL }

    /** How the value is read: any number, or a truth value (non-zero = true). */
    public enum Kind { NUMBER, BOOLEAN }

    public ParameterSpec {
        if (required && defaultValue != null) {
            throw new IllegalArgumentException("required parameter " + name + " cannot have a default");
        }
        if (gene && kind != Kind.NUMBER) {
            throw new IllegalArgumentException("parameter " + name + " is a gene, so it must be a number");
        }
    }

    /** A required parameter (no default). */
    public static ParameterSpec required(String name, Scope scope, Kind kind) {
        return new ParameterSpec(name, scope, kind, null, true, false);
    }

    /** An optional numeric parameter with a default (null = unset). */
    public static ParameterSpec number(String name, Scope scope, Double defaultValue) {
        return new ParameterSpec(name, scope, Kind.NUMBER, defaultValue, false, false);
    }

    /** An optional boolean parameter with a default. */
    public static ParameterSpec bool(String name, Scope scope, boolean defaultValue) {
        return new ParameterSpec(name, scope, Kind.BOOLEAN, defaultValue ? 1.0 : 0.0, false, false);
    }

    /** This parameter as one evolution searches over (see {@code gene} above). */
    public ParameterSpec asGene() {
        return new ParameterSpec(name, scope, kind, defaultValue, required, true);
    }
}
