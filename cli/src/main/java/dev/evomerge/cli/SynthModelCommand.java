package dev.evomerge.cli;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.synth.ModelSynthesizer;
import dev.evomerge.core.synth.SynthArch;
import dev.evomerge.core.synth.SynthModelSpec;
import dev.evomerge.core.tensor.DType;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.ToIntFunction;

/** {@code evomerge synth model OUT}: a complete Hugging Face model directory with seeded random weights. */
@Command(name = "model", mixinStandardHelpOptions = true, modelTransformer = SynthModelCommand.DeclareSizes.class,
        description = {"Write a tiny Hugging Face model with deterministic random weights.",
                "Writes config.json, model.safetensors, a byte-level BPE tokenizer.json of exactly --vocab tokens, "
                        + "tokenizer and generation configs and a chat template; the same options give the same "
                        + "bytes."})
final class SynthModelCommand extends CliCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "OUT", description = "Output directory; must not exist or be empty.")
    Path out;

    @Option(names = "--arch", paramLabel = "ARCH", defaultValue = "llama",
            description = "llama, mistral, qwen2 or qwen3 (default: ${DEFAULT-VALUE}).")
    String arch;

    @Option(names = "--dtype", paramLabel = "DTYPE", defaultValue = "bf16",
            description = "bf16, fp16 or fp32 (default: ${DEFAULT-VALUE}).")
    String dtype;

    @CommandLine.Mixin
    SynthSeedOption seed;

    @Option(names = "--tie-embeddings", description = "Share the input embedding with the output head (no lm_head).")
    boolean tieEmbeddings;

    @Option(names = "--rope-scaling", paramLabel = "TYPE",
            description = "Rope scaling to configure: llama3 (not for mistral).")
    String ropeScaling;

    @Override
    public Integer call() {
        boolean llama3 = false;
        if (ropeScaling != null) {
            if (!ropeScaling.trim().toLowerCase(Locale.ROOT).equals("llama3")) {
                throw EvomergeException.usage("--rope-scaling supports only llama3, got '" + ropeScaling + "'.");
            }
            llama3 = true;
        }
        SynthModelSpec model = new SynthModelSpec(SynthArch.parse(arch), size(Size.VOCAB), size(Size.HIDDEN),
                size(Size.LAYERS), size(Size.HEADS), size(Size.KV_HEADS), size(Size.INTERMEDIATE), DType.parse(dtype),
                seed.value, tieEmbeddings, llama3);
        ModelSynthesizer.Result r = ModelSynthesizer.write(model, out);
        out().printf(Locale.ROOT,
                "Wrote %s: %s, %d layers, hidden %d, vocab %d, %,d parameters (%s, %,d bytes).%n", out,
                model.arch().modelType(), model.numLayers(), model.hiddenSize(), model.vocabSize(), r.parameters(),
                model.dtype().torchName(), r.bytes());
        return 0;
    }

    private int size(Size s) {
        return spec.findOption(s.option).getValue();
    }

    /** The model's sizes, one {@code --OPTION N} each, defaulting to {@link SynthModelSpec#defaults()}'s. */
    enum Size {
        VOCAB("--vocab", "Vocabulary size, also the tokenizer's", SynthModelSpec::vocabSize),
        HIDDEN("--hidden", "Hidden size", SynthModelSpec::hiddenSize),
        LAYERS("--layers", "Layers", SynthModelSpec::numLayers),
        HEADS("--heads", "Attention heads", SynthModelSpec::numHeads),
        KV_HEADS("--kv-heads", "Key/value heads", SynthModelSpec::numKvHeads),
        INTERMEDIATE("--intermediate", "MLP intermediate size", SynthModelSpec::intermediateSize);

        final String option;
        private final String description;
        private final ToIntFunction<SynthModelSpec> field;

        Size(String option, String description, ToIntFunction<SynthModelSpec> field) {
            this.option = option;
            this.description = description;
            this.field = field;
        }

        OptionSpec spec() {
            return OptionSpec.builder(option).paramLabel("N").type(int.class)
                    .defaultValue(String.valueOf(field.applyAsInt(SynthModelSpec.defaults())))
                    .description(description + " (default: ${DEFAULT-VALUE}).").build();
        }
    }

    /** Adds one option per {@link Size} when picocli builds the command. */
    static final class DeclareSizes implements CommandLine.IModelTransformer {
        @Override
        public CommandLine.Model.CommandSpec transform(CommandLine.Model.CommandSpec command) {
            for (Size s : Size.values()) {
                command.addOption(s.spec());
            }
            return command;
        }
    }
}
