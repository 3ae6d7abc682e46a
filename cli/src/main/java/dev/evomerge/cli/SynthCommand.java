package dev.evomerge.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code evomerge synth ...}: tiny synthetic models (and fine-tunes of them) for tests, demos and benchmarks. */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = "Make tiny synthetic models and fine-tunes of them (deterministic for a seed).",
        subcommands = {SynthModelCommand.class, SynthFinetuneCommand.class, SynthTaskCommand.class})
final class SynthCommand extends CliCommand implements Runnable {

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "Missing subcommand: run 'evomerge synth --help' for the list.");
    }
}
