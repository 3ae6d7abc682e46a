package dev.evomerge.merge;

import dev.evomerge.merge.output.ShardSize;

import java.nio.file.Path;
import java.util.Map;

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
        return new MergeOptions(n, randomSeed, allowCrimes, copyTokenizer, writeModelCard, maxShardBytes,
                baseDirectory, taskVectorCacheBytes, modelDirectories);
    }

    public MergeOptions withRandomSeed(Long seed) {
        return new MergeOptions(threads, seed, allowCrimes, copyTokenizer, writeModelCard, maxShardBytes,
                baseDirectory, taskVectorCacheBytes, modelDirectories);
    }

    public MergeOptions withAllowCrimes(boolean allow) {
        return new MergeOptions(threads, randomSeed, allow, copyTokenizer, writeModelCard, maxShardBytes,
                baseDirectory, taskVectorCacheBytes, modelDirectories);
    }

    public MergeOptions withMaxShardBytes(long bytes) {
        return new MergeOptions(threads, randomSeed, allowCrimes, copyTokenizer, writeModelCard, bytes,
                baseDirectory, taskVectorCacheBytes, modelDirectories);
    }

    public MergeOptions withBaseDirectory(Path dir) {
        return new MergeOptions(threads, randomSeed, allowCrimes, copyTokenizer, writeModelCard, maxShardBytes,
                dir, taskVectorCacheBytes, modelDirectories);
    }

    public MergeOptions withTaskVectorCacheBytes(long bytes) {
        return new MergeOptions(threads, randomSeed, allowCrimes, copyTokenizer, writeModelCard, maxShardBytes,
                baseDirectory, bytes, modelDirectories);
    }

    public MergeOptions withOutputFiles(boolean copyTokenizerFiles, boolean modelCard) {
        return new MergeOptions(threads, randomSeed, allowCrimes, copyTokenizerFiles, modelCard, maxShardBytes,
                baseDirectory, taskVectorCacheBytes, modelDirectories);
    }

    public MergeOptions withModelDirectories(Map<String, Path> directories) {
        return new MergeOptions(threads, randomSeed, allowCrimes, copyTokenizer, writeModelCard, maxShardBytes,
                baseDirectory, taskVectorCacheBytes, directories);
    }
}
