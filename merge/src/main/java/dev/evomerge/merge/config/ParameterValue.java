package dev.evomerge.merge.config;

import dev.evomerge.core.EvomergeException;

/** The value a parameter setting yields for one tensor: a number, a boolean or (rarely) a string. */
public sealed interface ParameterValue {

    /** The value as a number; booleans are 1 and 0 as in Python. */
    double asDouble();

    /** The value as a boolean; a number is true when it is not zero. */
    boolean asBoolean();

    /** A number (YAML ints become doubles, as pydantic's float fields do). */
    record Numeric(double value) implements ParameterValue {
        @Override
        public double asDouble() {
            return value;
        }

        @Override
        public boolean asBoolean() {
            return value != 0;
        }

        @Override
        public String toString() {
            return YamlNumbers.format(value);
        }
    }

    /** A YAML boolean. */
    record Flag(boolean value) implements ParameterValue {
        @Override
        public double asDouble() {
            return value ? 1 : 0;
        }

        @Override
        public boolean asBoolean() {
            return value;
        }

        @Override
        public String toString() {
            return Boolean.toString(value);
        }
    }

    /** A YAML string; only string-valued parameters accept it. */
    record Text(String value) implements ParameterValue {
        @Override
        public double asDouble() {
            throw EvomergeException.usage("Parameter value '" + value + "' is a string where a number is expected.");
        }

        @Override
        public boolean asBoolean() {
            throw EvomergeException.usage("Parameter value '" + value + "' is a string where true/false is expected.");
        }

        @Override
        public String toString() {
            return value;
        }
    }

    static ParameterValue of(double v) {
        return new Numeric(v);
    }
}
