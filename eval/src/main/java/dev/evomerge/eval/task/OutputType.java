package dev.evomerge.eval.task;

import java.util.Arrays;
import java.util.Optional;

/** lm-eval's {@code output_type}: how a document becomes model requests. */
public enum OutputType {
    MULTIPLE_CHOICE("multiple_choice"),
    LOGLIKELIHOOD("loglikelihood"),
    LOGLIKELIHOOD_ROLLING("loglikelihood_rolling"),
    GENERATE_UNTIL("generate_until");

    private final String yamlName;

    OutputType(String yamlName) {
        this.yamlName = yamlName;
    }

    /** The name used in task YAML and results. */
    public String yamlName() {
        return yamlName;
    }

    public static Optional<OutputType> fromYaml(String name) {
        return Arrays.stream(values()).filter(t -> t.yamlName.equals(name)).findFirst();
    }
}
