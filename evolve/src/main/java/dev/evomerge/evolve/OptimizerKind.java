package dev.evomerge.evolve;

import dev.evomerge.core.EvomergeException;

import java.util.Arrays;

/** The optimizer that proposes each generation ({@code --optimizer}); {@link #text()} is its option value. */
public enum OptimizerKind {
    /** A chat model proposes genomes from the best ones so far. */
    LLM("llm"),
    /** CMA-ES on the [0, 1] genes. */
    CMAES("cmaes"),
    /** Uniformly random genomes. */
    RANDOM("random"),
    /** NSGA-II on several objectives ({@code --objectives}). */
    NSGA2("nsga2");

    private final String text;

    OptimizerKind(String text) {
        this.text = text;
    }

    /** The option value, as given on the command line and stored in run.db. */
    public String text() {
        return text;
    }

    @Override
    public String toString() {
        return text;
    }

    /** The optimizer an option value names (exactly as written), else a usage error naming the values. */
    public static OptimizerKind parse(String value) {
        return Arrays.stream(values()).filter(k -> k.text.equals(value)).findFirst().orElseThrow(() ->
                EvomergeException.usage("--optimizer must be llm, cmaes, random or nsga2, got '" + value + "'."));
    }
}
