package dev.evomerge.cli;

import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.tokenizer.Tokenizer;
import dev.evomerge.eval.model.LanguageModel;
import dev.evomerge.eval.model.LanguageModels;
import dev.evomerge.eval.model.ModelTokenizer;
import dev.evomerge.eval.model.TextTokenizer;
import dev.evomerge.eval.synth.SyntheticTasks;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code evomerge synth task mc|gen OUT}: small synthetic lm-eval tasks, optionally labelled by a teacher model. */
@Command(name = "task", mixinStandardHelpOptions = true,
        description = "Write a small synthetic lm-eval task (YAML + data/train.jsonl + data/test.jsonl).",
        subcommands = {SynthTaskCommand.MultipleChoice.class, SynthTaskCommand.Generation.class})
final class SynthTaskCommand extends CliCommand implements Runnable {

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "Missing subcommand: run 'evomerge synth task --help' for the list (mc, gen).");
    }

    /** Options both kinds share. */
    static class Common extends CliCommand {
        @Parameters(index = "0", paramLabel = "OUT", description = "Output directory; must not exist or be empty.")
        Path out;

        @Option(names = "--teacher", paramLabel = "MODEL_DIR",
                description = "Model whose own answers become the labels (the in-JVM engine runs it).")
        Path teacher;

        @Option(names = "--rows", paramLabel = "N", defaultValue = "50", description = "Test documents (default: ${DEFAULT-VALUE}).")
        int rows;

        @Option(names = "--train-rows", paramLabel = "N", defaultValue = "5",
                description = "Training documents for few-shot prompts (default: ${DEFAULT-VALUE}).")
        int trainRows;

        @CommandLine.Mixin
        SynthSeedOption seed;

        @Option(names = "--name", paramLabel = "NAME", description = "Task name (default: synth_mc / synth_gen).")
        String name;

        @Option(names = "--threads", paramLabel = "N", description = "Engine threads for the teacher.")
        Integer threads;

        Optional<LanguageModel> teacherModel() {
            if (teacher == null) {
                return Optional.empty();
            }
            LoadOptions load = threads == null ? LoadOptions.defaults() : LoadOptions.defaults().withThreads(threads);
            return Optional.of(LanguageModels.embedded(teacher, load, true, 32));
        }

        /** Writes the task, labelled by the teacher when there is one (closed after), and says how to run it. */
        Integer write(String defaultName, int choices, TaskWriter writer) {
            SyntheticTasks.Options o = new SyntheticTasks.Options(name == null ? defaultName : name, rows, trainRows,
                    choices, seed.value);
            Optional<LanguageModel> t = teacherModel();
            try {
                SyntheticTasks.Written w = writer.write(o, t);
                out().println("Wrote task " + w.taskName() + " (" + w.rows() + " test rows) to "
                        + w.yaml() + "; run it with: evomerge eval --include-path " + w.directory() + " --tasks "
                        + w.taskName());
            } finally {
                t.ifPresent(LanguageModel::close);
            }
            return 0;
        }
    }

    /** One kind of task, written with its options and the teacher model. */
    @FunctionalInterface
    interface TaskWriter {
        SyntheticTasks.Written write(SyntheticTasks.Options options, Optional<LanguageModel> teacher);
    }

    /** {@code evomerge synth task mc OUT}. */
    @Command(name = "mc", mixinStandardHelpOptions = true,
            description = "Multiple choice: random-word questions, one-word answers; with --teacher the gold answer is "
                    + "the teacher's most likely choice, so models closer to the teacher score higher.")
    static final class MultipleChoice extends Common implements Callable<Integer> {

        @Option(names = "--choices", paramLabel = "N", defaultValue = "4", description = "Choices per question (default: ${DEFAULT-VALUE}).")
        int choices;

        @Override
        public Integer call() {
            Optional<TextTokenizer> tok = teacher == null ? Optional.empty()
                    : Optional.of(new ModelTokenizer(Tokenizer.load(teacher)));
            return write("synth_mc", choices, (o, t) -> SyntheticTasks.multipleChoice(out, o, t, tok));
        }
    }

    /** {@code evomerge synth task gen OUT}. */
    @Command(name = "gen", mixinStandardHelpOptions = true,
            description = "generate_until: small sums; the target is the true sum, or with --teacher the teacher's "
                    + "greedy answer.")
    static final class Generation extends Common implements Callable<Integer> {

        @Option(names = "--max-gen-toks", paramLabel = "N", defaultValue = "8",
                description = "Tokens to generate per answer (default: ${DEFAULT-VALUE}).")
        int maxGenToks;

        @Override
        public Integer call() {
            return write("synth_gen", 2, (o, t) -> SyntheticTasks.generation(out, o, t, maxGenToks));
        }
    }
}
