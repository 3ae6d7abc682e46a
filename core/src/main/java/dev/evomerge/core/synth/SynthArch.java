package dev.evomerge.core.synth;

import dev.evomerge.core.EvomergeException;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The architectures {@code evomerge synth model} can produce, with the facts their config.json needs. */
public enum SynthArch {
    LLAMA("llama", "LlamaForCausalLM", 10000.0, 1e-5),
    MISTRAL("mistral", "MistralForCausalLM", 1000000.0, 1e-5),
    QWEN2("qwen2", "Qwen2ForCausalLM", 1000000.0, 1e-6),
    QWEN3("qwen3", "Qwen3ForCausalLM", 1000000.0, 1e-6);

    private final String modelType;
    private final String className;
    private final double ropeTheta;
    private final double rmsNormEps;

    SynthArch(String modelType, String className, double ropeTheta, double rmsNormEps) {
        this.modelType = modelType;
        this.className = className;
        this.ropeTheta = ropeTheta;
        this.rmsNormEps = rmsNormEps;
    }

    /** The config's model_type, also the name on the command line. */
    public String modelType() {
        return modelType;
    }

    /** The transformers class in config.json's architectures list. */
    public String className() {
        return className;
    }

    /** rope_theta written when no rope scaling is asked for (the family's usual value). */
    public double ropeTheta() {
        return ropeTheta;
    }

    public double rmsNormEps() {
        return rmsNormEps;
    }

    /** Whether the transformers config class has a rope_scaling key (Mistral's has none). */
    public boolean hasRopeScaling() {
        return this != MISTRAL;
    }

    /** Parses a command-line name (llama, mistral, qwen2, qwen3). */
    public static SynthArch parse(String name) {
        for (SynthArch a : values()) {
            if (a.modelType.equals(name.trim().toLowerCase(Locale.ROOT))) {
                return a;
            }
        }
        throw EvomergeException.usage("Unknown architecture '" + name + "' for synth: expected one of "
                + Arrays.stream(values()).map(SynthArch::modelType).collect(Collectors.joining(", ")) + ".");
    }
}
