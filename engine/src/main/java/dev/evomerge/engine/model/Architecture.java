package dev.evomerge.engine.model;

import dev.evomerge.core.EvomergeException;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The decoder architectures the engine runs, by their transformers class name. */
public enum Architecture {
    LLAMA("LlamaForCausalLM"),
    MISTRAL("MistralForCausalLM"),
    QWEN2("Qwen2ForCausalLM"),
    QWEN3("Qwen3ForCausalLM");

    private final String className;

    Architecture(String className) {
        this.className = className;
    }

    public String className() {
        return className;
    }

    /** The architecture named by config.json's {@code architectures[0]}; a usage error listing the supported ones. */
    public static Architecture of(String className, String source) {
        for (Architecture a : values()) {
            if (a.className.equals(className)) {
                return a;
            }
        }
        throw EvomergeException.usage("Architecture '" + className + "' in " + source
                + " is not supported by the engine; supported: " + supportedList() + ".");
    }

    static String supportedList() {
        return Arrays.stream(values()).map(Architecture::className).collect(Collectors.joining(", "));
    }
}
