package dev.evomerge.merge.output;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.AtomicDirectory;
import dev.evomerge.core.safetensors.SafetensorsWriter;
import dev.evomerge.merge.config.MergeConfig;
import dev.evomerge.merge.config.MergeConfigWriter;
import dev.evomerge.merge.exec.MergeExecutor;
import dev.evomerge.merge.plan.JobParameters;
import dev.evomerge.merge.plan.MergePlan;
import dev.evomerge.merge.plan.TensorJob;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Writes a merged model directory: safetensors shards (mergekit's naming and split rule), config.json, tokenizer
 * files, README.md and mergekit_config.yml. Everything goes to a hidden temporary sibling that is renamed onto the
 * target only when complete, so a failure leaves no output directory.
 */
public final class ModelWriter {

    /**
     * Output options.
     *
     * @param execution      threads, random draws, reuse cache
     * @param maxShardBytes  largest shard in bytes
     * @param copyTokenizer  copy the donor's tokenizer files (when no tokenizer is built)
     * @param writeModelCard write README.md and mergekit_config.yml
     */
    public record Options(MergeExecutor.Options execution, long maxShardBytes, boolean copyTokenizer,
                          boolean writeModelCard) {

        /** These options with other execution options. */
        public Options withExecution(MergeExecutor.Options e) {
            return new Options(e, maxShardBytes, copyTokenizer, writeModelCard);
        }
    }

    /** The file the original YAML is saved to. */
    public static final String CONFIG_COPY = "mergekit_config.yml";

    private ModelWriter() {
    }

    /** Fails with a usage error when {@code out} exists and is not an empty directory. Creates nothing. */
    public static void checkTarget(Path out) {
        if (!Files.exists(out, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.isDirectory(out, LinkOption.NOFOLLOW_LINKS)) {
            throw EvomergeException.usage("Output directory " + out + " already exists and is not a directory.");
        }
        try (Stream<Path> entries = Files.list(out)) {
            if (entries.findAny().isPresent()) {
                throw EvomergeException.usage("Output directory " + out
                        + " already exists and is not empty; choose another path or remove it.");
            }
        } catch (IOException e) {
            throw EvomergeException.usage("Output directory " + out + " cannot be read: " + e.getMessage(), e);
        }
    }

    /**
     * Merges {@code plan} with {@code parameters} and writes the model to {@code out}; {@code warnings} receives one
     * sentence per warning, {@code tensorDone} each output tensor once it is written (from worker threads).
     */
    public static void write(MergePlan plan, List<JobParameters> parameters, Path out, Options options,
                             Consumer<String> warnings, Consumer<TensorJob> tensorDone) {
        write(plan, plan.config(), parameters, out, options.withExecution(options.execution()
                .withReleaseInputPages(true)), warnings, tensorDone);
    }

    /**
     * Writes {@code config}, a config with {@code plan}'s layout whose {@code parameters} these are (an evolution's
     * candidate), to {@code out}: the model card and mergekit_config.yml are {@code config}'s. Input pages are kept or
     * released as {@code options.execution()} says.
     */
    public static void write(MergePlan plan, MergeConfig config, List<JobParameters> parameters, Path out,
                             Options options, Consumer<String> warnings, Consumer<TensorJob> tensorDone) {
        checkTarget(out);
        try (AtomicDirectory dir = AtomicDirectory.create(out)) {
            for (Path stale : dir.removedAbandoned()) {
                warnings.accept("Removed " + stale + ", the unfinished temporary directory of an earlier write of "
                        + out + " whose process is gone.");
            }
            if (!dir.locked()) {
                warnings.accept("The file system of " + dir.path() + " cannot lock files, so if this merge is killed"
                        + " its temporary directory will not be recognised as abandoned; delete it by hand then.");
            }
            Path tmp = dir.path();
            try (SafetensorsWriter shards = SafetensorsWriter.create(tmp, plan.outputs(), options.maxShardBytes())) {
                MergeExecutor.execute(plan, parameters, shards, options.execution(), tensorDone);
                shards.commit();
            }
            plan.outputConfig().write(tmp.resolve("config.json"));
            TokenizerFiles.write(plan, tmp, options.copyTokenizer(), warnings);
            if (options.writeModelCard()) {
                String yaml = config.sourceText() != null ? config.sourceText() : MergeConfigWriter.toYaml(config);
                writeText(tmp.resolve(CONFIG_COPY), yaml);
                writeText(tmp.resolve("README.md"), ModelCard.render(config, yaml,
                        String.valueOf(out.toAbsolutePath().normalize().getFileName())));
            }
            dir.commit();
        }
    }

    private static void writeText(Path file, String text) {
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw EvomergeException.runtime("Cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
