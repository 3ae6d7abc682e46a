package dev.evomerge.core.synth;

import dev.evomerge.core.EvomergeException;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The architectures {@code evomerge synth model} can produce, each with the facts its config.json needs. */
public enum SynthArch {
    LLAMA(new Facts("llama", "LlamaForCausalLM", 10000.0, 1e-5, true)),
    MISTRAL(new Facts("mistral", "MistralForCausalLM", 1000000.0, 1e-5, false)),
    QWEN2(new Facts("qwen2", "Qwen2ForCausalLM", 1000000.0, 1e-6, true)),
    QWEN3(new Facts("qwen3", "Qwen3ForCausalLM", 1000000.0, 1e-6, true));

    /**
     * What config.json says about a family.
     *
     * @param modelType       the config's model_type, also the name on the command line
     * @param className       the transformers class in config.json's architectures list
     * @param ropeTheta       rope_theta written when no rope scaling is asked for (the family's usual value)
     * @param rmsNormEps      rms_norm_eps
     * @param hasRopeScaling  whether the transformers config class has a rope_scaling key (Mistral's has none)
     */
    public record Facts(String modelType, String className, double ropeTheta, double rmsNormEps,
                        boolean hasRopeScaling) {
    }

    private final Facts facts;

    SynthArch(Facts facts) {
        this.facts = facts;
    }

    /** The family's config.json facts. */
    public Facts facts() {
        return facts;
    }

    /** The config's model_type, also the name on the command line. */
    public String modelType() {
        return facts.modelType();
    }

    /** Parses a command-line name (llama, mistral, qwen2, qwen3). */
    public static SynthArch parse(String name) {
        String wanted = name.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(a -> a.modelType().equals(wanted)).findFirst()
                .orElseThrow(() -> EvomergeException.usage("Unknown architecture '" + name + "' for synth: expected one of "
                        + Arrays.stream(values()).map(SynthArch::modelType).collect(Collectors.joining(", ")) + "."));
    }
}
