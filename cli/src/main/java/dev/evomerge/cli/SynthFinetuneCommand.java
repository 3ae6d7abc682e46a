package dev.evomerge.cli;

import dev.evomerge.core.synth.FineTuneSynthesizer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code evomerge synth finetune BASE OUT}: a base model plus structured, fine-tune-like deltas. */
@Command(name = "finetune", mixinStandardHelpOptions = true,
        description = {"Write a synthetic fine-tune of a model: base weights plus structured deltas.",
                "Each delta is a rank-4 part, sparse outliers and dense noise, larger in some layers than others; "
                        + "config and tokenizer files are copied unchanged."})
final class SynthFinetuneCommand extends CliCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "BASE", description = "The base model directory.")
    Path base;

    @Parameters(index = "1", paramLabel = "OUT", description = "Output directory; must not exist or be empty.")
    Path out;

    @CommandLine.Mixin
    SynthSeedOption seed;

    @Option(names = "--scale", paramLabel = "X", defaultValue = "0.05",
            description = "Delta RMS relative to each weight's RMS in an average layer (default: ${DEFAULT-VALUE}).")
    double scale;

    @Override
    public Integer call() {
        FineTuneSynthesizer.write(base, out, seed.value, scale);
        out().printf(Locale.ROOT, "Wrote %s: fine-tune of %s (seed %d, scale %s).%n", out, base,
                seed.value, scale);
        return 0;
    }
}
