package dev.evomerge.cli;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.synth.ModelSynthesizer;
import dev.evomerge.core.synth.SynthArch;
import dev.evomerge.core.synth.SynthModelSpec;
import dev.evomerge.core.tensor.DType;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code evomerge synth model OUT}: a complete Hugging Face model directory with seeded random weights. */
@Command(name = "model", mixinStandardHelpOptions = true,
        description = {"Write a tiny Hugging Face model with deterministic random weights.",
                "Writes config.json, model.safetensors, a byte-level BPE tokenizer.json of exactly --vocab tokens, "
                        + "tokenizer and generation configs and a chat template; the same options give the same "
                        + "bytes."})
final class SynthModelCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "OUT", description = "Output directory; must not exist or be empty.")
    Path out;

    @Option(names = "--arch", paramLabel = "ARCH", defaultValue = "llama",
            description = "llama, mistral, qwen2 or qwen3 (default: ${DEFAULT-VALUE}).")
    String arch;

    @Option(names = "--vocab", paramLabel = "N", defaultValue = "512",
            description = "Vocabulary size, also the tokenizer's (default: ${DEFAULT-VALUE}).")
    int vocab;

    @Option(names = "--hidden", paramLabel = "N", defaultValue = "64",
            description = "Hidden size (default: ${DEFAULT-VALUE}).")
    int hidden;

    @Option(names = "--layers", paramLabel = "N", defaultValue = "4",
            description = "Layers (default: ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--heads", paramLabel = "N", defaultValue = "4",
            description = "Attention heads (default: ${DEFAULT-VALUE}).")
    int heads;

    @Option(names = "--kv-heads", paramLabel = "N", defaultValue = "2",
            description = "Key/value heads (default: ${DEFAULT-VALUE}).")
    int kvHeads;

    @Option(names = "--intermediate", paramLabel = "N", defaultValue = "176",
            description = "MLP intermediate size (default: ${DEFAULT-VALUE}).")
    int intermediate;

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

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        boolean llama3 = false;
        if (ropeScaling != null) {
            if (!ropeScaling.trim().toLowerCase(Locale.ROOT).equals("llama3")) {
                throw EvomergeException.usage("--rope-scaling supports only llama3, got '" + ropeScaling + "'.");
            }
            llama3 = true;
        }
        SynthModelSpec model = new SynthModelSpec(SynthArch.parse(arch), vocab, hidden, layers, heads, kvHeads,
                intermediate, DType.parse(dtype), seed.value, tieEmbeddings, llama3);
        ModelSynthesizer.Result r = ModelSynthesizer.write(model, out);
        spec.commandLine().getOut().printf(Locale.ROOT,
                "Wrote %s: %s, %d layers, hidden %d, vocab %d, %,d parameters (%s, %,d bytes).%n", out,
                model.arch().modelType(), layers, hidden, vocab, r.parameters(), model.dtype().torchName(), r.bytes());
        return 0;
    }
}
