package dev.evomerge.cli;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.evolve.pool.ServerPools;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Spec;

import java.util.List;
import java.util.function.Consumer;

/**
 * mergekit-evolve's (and LLM-Evo-Merge's) options that evomerge has no use for. None is "Unknown option": one that asks
 * for something evomerge does differently is refused with a sentence saying how to get it; one that changes nothing
 * here is accepted (docs/compatibility.md lists which is which). Hidden from --help, which shows evomerge's own
 * options. The options are declared from the table {@link #FLAGS} when picocli builds the command.
 */
@Command(modelTransformer = MergekitEvolveOptions.Declare.class)
final class MergekitEvolveOptions {

    private static final String WANDB = "evomerge does not log to Weights & Biases; every candidate, score and LLM "
            + "exchange is in STORAGE/run.db, shown live by `evomerge dashboard --storage-path STORAGE` and as charts by "
            + "`evomerge report --storage-path STORAGE --out DIR`.";
    private static final String QUANTIZED = "the embedded engine evaluates unquantized; to evaluate quantized, serve "
            + "each merge with a quantizing server through --no-in-memory --backend openai-completions "
            + "--eval-server-cmd \"… {model} … {port}\".";

    /** What evomerge does when a flag is given (a negated one, --no-X, is always accepted and changes nothing). */
    enum Effect {
        /** A usage error (exit 2): "FLAG: reason". */
        REFUSED,
        /** A warning "FLAG has no effect: reason", and the run goes on. */
        IGNORED_WITH_WARNING,
        /** Nothing. */
        IGNORED
    }

    /**
     * One flag: a switch ({@code paramLabel} null; {@code negatable} also accepts --no-X) or an option with a value.
     * Refusals are checked in the table's order, before any warning.
     */
    record Flag(String name, boolean negatable, String paramLabel, Effect effect, String reason) {

        OptionSpec spec() {
            OptionSpec.Builder b = OptionSpec.builder(name).hidden(true).negatable(negatable);
            return (paramLabel == null ? b.type(Boolean.class) : b.type(String.class).paramLabel(paramLabel)).build();
        }
    }

    static final List<Flag> FLAGS = List.of(
            new Flag("--vllm", true, null, Effect.REFUSED, "evomerge keeps your vLLM (or SGLang) servers running and "
                    + "reloads each candidate into them: start them yourself and pass --eval-server URL, as the recipe in "
                    + ServerPools.RECIPE + " shows."),
            new Flag("--num-gpus", false, "N", Effect.REFUSED, "evomerge does not schedule GPUs: start one inference "
                    + "server per GPU and give each as --eval-server URL, as the recipe in " + ServerPools.RECIPE
                    + " shows."),
            new Flag("--merge-cuda", true, null, Effect.REFUSED, "evomerge merges on the CPU with vectorized kernels and "
                    + "has no CUDA merge; drop the option."),
            new Flag("--trust-remote-code", true, null, Effect.IGNORED_WITH_WARNING, "evomerge runs no model code (for an "
                    + "evaluation server, put the flag in --eval-server-cmd)."),
            new Flag("--wandb", true, null, Effect.REFUSED, WANDB),
            new Flag("--wandb-project", false, "PROJECT", Effect.REFUSED, WANDB),
            new Flag("--wandb-entity", false, "ENTITY", Effect.REFUSED, WANDB),
            // evomerge reads every model's safetensors shards in place (memory-mapped): nothing to reshard either way
            new Flag("--reshard", true, null, Effect.IGNORED, null),
            new Flag("--load-in-8bit", false, null, Effect.REFUSED, QUANTIZED),
            new Flag("--load-in-4bit", false, null, Effect.REFUSED, QUANTIZED));

    /** The command these flags were added to, which holds their parsed values. */
    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    /** Refuses the options evomerge replaces (usage error, exit 2); warns about the one it accepts but ignores. */
    void check(Consumer<String> warnings) {
        for (Flag f : FLAGS) {
            if (f.effect() == Effect.REFUSED && given(f)) {
                throw EvomergeException.usage(f.name() + ": " + f.reason());
            }
        }
        for (Flag f : FLAGS) {
            if (f.effect() == Effect.IGNORED_WITH_WARNING && given(f)) {
                warnings.accept(f.name() + " has no effect: " + f.reason());
            }
        }
    }

    /** True for a switch given as --X (not --no-X) and for an option given with any value. */
    private boolean given(Flag f) {
        Object value = command.findOption(f.name()).getValue();
        return value != null && !Boolean.FALSE.equals(value);
    }

    /** Adds the table's flags to the command that mixes these options in. */
    static final class Declare implements CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            FLAGS.forEach(f -> spec.addOption(f.spec()));
            return spec;
        }
    }
}
