package dev.evomerge.cli;

import dev.evomerge.core.EvomergeException;
import picocli.CommandLine.Option;

import java.util.function.Consumer;

/**
 * mergekit-evolve's (and LLM-Evo-Merge's) options that evomerge has no use for. None is "Unknown option": one that asks
 * for something evomerge does differently is refused with a sentence saying how to get it; one that changes nothing
 * here is accepted (docs/compatibility.md lists which is which). Hidden from --help, which shows evomerge's own
 * options.
 */
final class MergekitEvolveOptions {

    @Option(names = "--vllm", negatable = true, hidden = true)
    Boolean vllm;
    @Option(names = "--num-gpus", hidden = true, paramLabel = "N")
    String numGpus;
    @Option(names = "--merge-cuda", negatable = true, hidden = true)
    Boolean mergeCuda;
    @Option(names = "--trust-remote-code", negatable = true, hidden = true)
    boolean trustRemoteCode;
    @Option(names = "--wandb", negatable = true, hidden = true)
    Boolean wandb;
    @Option(names = "--wandb-project", hidden = true)
    String wandbProject;
    @Option(names = "--wandb-entity", hidden = true)
    String wandbEntity;
    @Option(names = "--reshard", negatable = true, hidden = true)
    Boolean reshard;
    @Option(names = "--load-in-8bit", hidden = true)
    boolean loadIn8bit;
    @Option(names = "--load-in-4bit", hidden = true)
    boolean loadIn4bit;

    /** Refuses the options evomerge replaces (usage error, exit 2); warns about the one it accepts but ignores. */
    void check(Consumer<String> warnings) {
        if (Boolean.TRUE.equals(vllm)) {
            throw EvomergeException.usage("--vllm: evomerge evaluates with its own engine, or with any OpenAI-compatible "
                    + "server started per candidate; for vLLM pass --no-in-memory --backend openai-completions "
                    + "--eval-server-cmd \"vllm serve {model} --port {port}\".");
        }
        if (numGpus != null) {
            throw EvomergeException.usage("--num-gpus: evomerge does not schedule GPUs; use --num-workers N for N evaluation "
                    + "slots in this process, or a cluster of `evomerge worker` members (--cluster-name) for more machines.");
        }
        if (Boolean.TRUE.equals(mergeCuda)) {
            throw EvomergeException.usage("--merge-cuda: evomerge merges on the CPU with vectorized kernels and has no CUDA "
                    + "merge; drop the option.");
        }
        if (Boolean.TRUE.equals(wandb) || wandbProject != null || wandbEntity != null) {
            String option = Boolean.TRUE.equals(wandb) ? "--wandb" : wandbProject != null ? "--wandb-project" : "--wandb-entity";
            throw EvomergeException.usage(option + ": evomerge does not log to Weights & Biases; every candidate, score and "
                    + "LLM exchange is in STORAGE/run.db, shown live by `evomerge dashboard --storage-path STORAGE` and as "
                    + "charts by `evomerge report --storage-path STORAGE --out DIR`.");
        }
        if (loadIn8bit || loadIn4bit) {
            throw EvomergeException.usage((loadIn8bit ? "--load-in-8bit" : "--load-in-4bit") + ": the embedded engine "
                    + "evaluates unquantized; to evaluate quantized, serve each merge with a quantizing server through "
                    + "--no-in-memory --backend openai-completions --eval-server-cmd \"… {model} … {port}\".");
        }
        if (trustRemoteCode) {
            warnings.accept("--trust-remote-code has no effect: evomerge runs no model code (for an evaluation server, "
                    + "put the flag in --eval-server-cmd).");
        }
        // --reshard / --no-reshard: evomerge reads every model's safetensors shards in place (memory-mapped), so there
        // is nothing to reshard either way; both are accepted and change nothing.
    }
}
