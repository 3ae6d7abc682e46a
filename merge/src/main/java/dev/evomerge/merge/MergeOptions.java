package dev.evomerge.merge;

import dev.evomerge.merge.output.ShardSize;

import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;

/**
 * How to run merges (the {@code evomerge merge} options, and the evolution loop's).
 *
 * @param threads             tensors merged at once ({@code -j})
 * @param randomSeed          seed of dare/della/arcee_fusion draws; null draws a seed at random per session
 * @param allowCrimes         merge different architectures
 * @param copyTokenizer       copy the donor's tokenizer files when no tokenizer is built
 * @param writeModelCard      write README.md and mergekit_config.yml
 * @param maxShardBytes       largest safetensors shard, in bytes
 * @param baseDirectory       relative model paths resolve against it
 * @param taskVectorCacheBytes memory for task vectors and sorted magnitudes reused across merges of one session
 *                             (0 = no reuse, which a single merge does not need)
 * @param modelDirectories    where model paths, as a config names them, are to be read instead of
 *                            {@code baseDirectory/path}: an evolution's genome models, already resolved (and on a
 *                            cluster worker, rewritten by its path map)
 */
public record MergeOptions(int threads, Long randomSeed, boolean allowCrimes, boolean copyTokenizer,
                           boolean writeModelCard, long maxShardBytes, Path baseDirectory,
                           long taskVectorCacheBytes, Map<String, Path> modelDirectories) {

    public MergeOptions {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1");
        }
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("maxShardBytes must be positive");
        }
        baseDirectory = baseDirectory == null ? Path.of("").toAbsolutePath() : baseDirectory;
        modelDirectories = modelDirectories == null ? Map.of() : Map.copyOf(modelDirectories);
    }

    /** mergekit's defaults: all cores, unseeded, tokenizer copied, model card written, 5B shards. */
    public static MergeOptions defaults() {
        return new MergeOptions(Runtime.getRuntime().availableProcessors(), null, false, true, true,
                ShardSize.DEFAULT, null, 0, Map.of());
    }

    public MergeOptions withThreads(int n) {
        return with(b -> b.threads = n);
    }

    public MergeOptions withRandomSeed(Long seed) {
        return with(b -> b.randomSeed = seed);
    }

    public MergeOptions withAllowCrimes(boolean allow) {
        return with(b -> b.allowCrimes = allow);
    }

    public MergeOptions withMaxShardBytes(long bytes) {
        return with(b -> b.maxShardBytes = bytes);
    }

    public MergeOptions withBaseDirectory(Path dir) {
        return with(b -> b.baseDirectory = dir);
    }

    public MergeOptions withTaskVectorCacheBytes(long bytes) {
        return with(b -> b.taskVectorCacheBytes = bytes);
    }

    public MergeOptions withOutputFiles(boolean copyTokenizerFiles, boolean modelCard) {
        return with(b -> {
            b.copyTokenizer = copyTokenizerFiles;
            b.writeModelCard = modelCard;
        });
    }

    public MergeOptions withModelDirectories(Map<String, Path> directories) {
        return with(b -> b.modelDirectories = directories);
    }

    /** A copy of these options with {@code change} applied to its fields (checked again by the constructor). */
    private MergeOptions with(Consumer<Fields> change) {
        Fields f = new Fields(this);
        change.accept(f);
        return new MergeOptions(f.threads, f.randomSeed, f.allowCrimes, f.copyTokenizer, f.writeModelCard,
                f.maxShardBytes, f.baseDirectory, f.taskVectorCacheBytes, f.modelDirectories);
    }

    /** The components of a {@code MergeOptions} being copied with a change. */
    private static final class Fields {
        int threads;
        Long randomSeed;
        boolean allowCrimes;
        boolean copyTokenizer;
        boolean writeModelCard;
        long maxShardBytes;
        Path baseDirectory;
        long taskVectorCacheBytes;
        Map<String, Path> modelDirectories;

        Fields(MergeOptions o) {
            threads = o.threads;
            randomSeed = o.randomSeed;
            allowCrimes = o.allowCrimes;
            copyTokenizer = o.copyTokenizer;
            writeModelCard = o.writeModelCard;
            maxShardBytes = o.maxShardBytes;
            baseDirectory = o.baseDirectory;
            taskVectorCacheBytes = o.taskVectorCacheBytes;
            modelDirectories = o.modelDirectories;
        }
    }
}
