package dev.evomerge.cli;

import picocli.CommandLine.Option;

/** The seed of {@code evomerge synth model|finetune|task}: the same seed and options write the same bytes. */
final class SynthSeedOption {

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long value;
}
