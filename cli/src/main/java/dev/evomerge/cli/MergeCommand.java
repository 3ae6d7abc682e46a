package dev.evomerge.cli;

import dev.evomerge.merge.MergeOptions;
import dev.evomerge.merge.MergeReporter;
import dev.evomerge.merge.MergeSession;
import dev.evomerge.merge.config.MergeConfig;
import dev.evomerge.merge.config.MergeConfigReader;
import dev.evomerge.merge.output.ModelWriter;
import dev.evomerge.merge.output.ShardSize;
import dev.evomerge.merge.plan.TensorJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.concurrent.Callable;

/** {@code evomerge merge CONFIG OUT}: a mergekit-compatible merge from a mergekit YAML config. */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = {"Merge models as a mergekit YAML config says (same config, same tensors as mergekit-yaml).",
                "Models are local directories; the output appears only when complete."})
final class MergeCommand extends CliCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "CONFIG", description = "The merge config (mergekit YAML).")
    Path config;

    @Parameters(index = "1", paramLabel = "OUT", description = "Output directory; must not exist or be empty.")
    Path out;

    @Option(names = "--out-shard-size", paramLabel = "SIZE", defaultValue = "5B",
            description = "Largest output shard in bytes; K, M, B suffixes (10^3, 10^6, 10^9). Default: ${DEFAULT-VALUE}.")
    String outShardSize;

    @Option(names = "--copy-tokenizer", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Copy the donor model's tokenizer files (default: on).")
    boolean copyTokenizer;

    @Option(names = "--random-seed", paramLabel = "SEED",
            description = "Seed for the random draws of dare, della and arcee_fusion (default: random).")
    Long randomSeed;

    @Mixin
    AllowCrimesOption crimes;

    @Option(names = "--write-model-card", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Write README.md and mergekit_config.yml (default: on).")
    boolean writeModelCard;

    @Option(names = {"-j", "--threads"}, paramLabel = "N",
            description = "Tensors merged at once (default: the number of cores).")
    Integer threads;

    @Option(names = "--quiet", description = "No progress bar or summary.")
    boolean quiet;

    @Override
    public Integer call() {
        long shardBytes = ShardSize.parse(outShardSize);
        int n = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        OptionChecks.atLeastOne("-j/--threads", n);
        CliReporter reporter = new CliReporter(out(), this::warn, ProgressBar.enabledFor(quiet));
        MergeConfig cfg = MergeConfigReader.read(config, reporter::warning);
        ModelWriter.checkTarget(out);
        MergeOptions options = MergeOptions.defaults().withThreads(n).withRandomSeed(randomSeed)
                .withAllowCrimes(crimes.allowed).withMaxShardBytes(shardBytes)
                .withOutputFiles(copyTokenizer, writeModelCard);
        long start = System.nanoTime();
        try (MergeSession session = MergeSession.open(cfg, options, reporter)) {
            session.writeModel(out);
            if (!quiet) {
                double seconds = (System.nanoTime() - start) / 1e9;
                out().printf(Locale.ROOT, "Merged %d tensors (%.2f GB written) into %s in %.1f s.%n",
                        session.plan().jobs().size(), session.plan().outputBytes() / 1e9, out, seconds);
                out().flush();
            }
        }
        return 0;
    }

    /** Warnings to stderr; a progress bar on stdout when it is a terminal. */
    private static final class CliReporter implements MergeReporter {
        private final PrintWriter stdout;
        private final Consumer<String> warnings;
        private final boolean progress;
        private ProgressBar bar;
        private long bytesDone;
        private long startNanos;

        CliReporter(PrintWriter stdout, Consumer<String> warnings, boolean progress) {
            this.stdout = stdout;
            this.warnings = warnings;
            this.progress = progress;
        }

        @Override
        public synchronized void warning(String message) {
            warnings.accept(message);
        }

        @Override
        public synchronized void started(int tensors, long inputBytes) {
            if (progress) {
                bytesDone = 0;
                startNanos = System.nanoTime();
                bar = new ProgressBar(stdout, "merging", tensors, "tensors", true).suffix(() -> String.format(Locale.ROOT,
                        "%.2f GB/s", bytesDone() / 1e9 / Math.max((System.nanoTime() - startNanos) / 1e9, 1e-9)));
            }
        }

        private synchronized long bytesDone() {
            return bytesDone;
        }

        @Override
        public void tensorDone(TensorJob job) {
            ProgressBar b;
            synchronized (this) {
                b = bar;
                bytesDone += job.inputBytes();
            }
            if (b != null) {
                b.step(1);
            }
        }

        @Override
        public synchronized void finished() {
            if (bar != null) {
                bar.close();
                bar = null;
            }
        }
    }
}
