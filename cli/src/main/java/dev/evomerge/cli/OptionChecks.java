package dev.evomerge.cli;

import dev.evomerge.core.EvomergeException;

/** Checks of option values that picocli's types do not make, each failing with one sentence naming the option. */
final class OptionChecks {

    private OptionChecks() {
    }

    /** A count of at least 1: else "OPTION must be at least 1, got VALUE." (usage error, exit 2). */
    static void atLeastOne(String option, long value) {
        atLeastOne(option, value, "");
    }

    /** A quantity of at least 1 UNIT (e.g. "second"): else "OPTION must be at least 1 UNIT, got VALUE.". */
    static void atLeastOne(String option, long value, String unit) {
        if (value < 1) {
            throw EvomergeException.usage(option + " must be at least 1" + (unit.isEmpty() ? "" : " " + unit) + ", got "
                    + value + ".");
        }
    }
}
