package dev.evomerge.evolve.pool;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.AtomicDirectory;
import dev.evomerge.core.io.Reasons;
import dev.evomerge.evolve.local.Trees;
import dev.evomerge.evolve.run.Candidate;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The folder candidates are merged into for the servers to load: one subfolder per candidate, deleted once it was
 * evaluated, and the folder itself when the run ends. Its default is a folder under /dev/shm (memory: no disk write
 * and the fastest read for the server) when the copies in flight fit in its free space, else under the storage path.
 * The folder's name is derived from the storage path, so a resumed run removes what a killed one left there.
 */
final class ScratchSpace implements AutoCloseable {

    /** Where the default scratch folder goes when the models fit there. */
    static final Path SHM = Path.of("/dev/shm");

    private final Path root;

    private ScratchSpace(Path root) {
        this.root = root;
    }

    /** The folder candidates are merged into. */
    Path root() {
        return root;
    }

    /**
     * Opens the scratch folder for a run.
     *
     * @param given       --scratch-dir (null = choose)
     * @param storage     the run's storage path
     * @param modelBytes  the size of one merged model
     * @param copies      how many merged models exist at once (one per server, plus those merged ahead)
     */
    static ScratchSpace open(Path given, Path storage, long modelBytes, int copies, Consumer<String> warnings) {
        Path parent = given != null ? given : defaultParent(storage, modelBytes, copies);
        String name = "evomerge-scratch-" + HexFormat.of().toHexDigits(storage.toAbsolutePath().normalize().toString()
                .hashCode());
        Path root = parent.resolve(name).toAbsolutePath();
        try {
            Files.createDirectories(root);
            // what a killed run of this storage left: half-written merges and merges it never deleted
            for (Path stale : AtomicDirectory.removeAbandonedIn(root)) {
                warnings.accept("Removed " + stale + ", an unfinished candidate directory of a process that is gone.");
            }
            try (DirectoryStream<Path> left = Files.newDirectoryStream(root, p -> !p.getFileName().toString().startsWith("."))) {
                for (Path p : left) {
                    Trees.delete(p);
                    warnings.accept("Removed " + p + ", a candidate a stopped run left in the scratch folder.");
                }
            }
        } catch (IOException e) {
            throw EvomergeException.usage((given != null ? "--scratch-dir " : "The scratch folder ") + root
                    + " cannot be used: " + Reasons.of(e) + ".", e);
        }
        return new ScratchSpace(root);
    }

    /** /dev/shm when {@code copies} merged models fit in its free space, else the storage path. */
    static Path defaultParent(Path storage, long modelBytes, int copies) {
        try {
            if (Files.isDirectory(SHM) && Files.isWritable(SHM)
                    && Files.getFileStore(SHM).getUsableSpace() > modelBytes * copies) {
                return SHM;
            }
        } catch (IOException e) {
            // no usable /dev/shm: the storage path
        }
        return storage;
    }

    /** The size of a model's weights: its safetensors files. */
    static long weightBytes(Path modelDir) {
        try (Stream<Path> s = Files.list(modelDir)) {
            long sum = 0;
            for (Path p : s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).toList()) {
                sum += Files.size(p);
            }
            return sum;
        } catch (IOException e) {
            throw EvomergeException.usage("Cannot read the model folder " + modelDir + ": " + Reasons.of(e) + ".", e);
        }
    }

    /** The largest of these models' weights: a merge is at most that size (outputs keep the inputs' dtype). */
    static long largestModel(List<String> modelDirs) {
        return modelDirs.stream().mapToLong(d -> weightBytes(Path.of(d))).max().orElse(0);
    }

    /** Where a candidate is merged (not created yet). */
    Path dirOf(Candidate c) {
        return root.resolve("candidate-" + c.generation() + "-" + c.index());
    }

    /** Deletes a candidate's merge; returns false (and leaves it for the run's end) when it cannot. */
    boolean delete(Path dir) {
        try {
            Trees.delete(dir);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Deletes the scratch folder and everything left in it. */
    @Override
    public void close() {
        try {
            Trees.delete(root);
        } catch (IOException e) {
            // reported by the next run of this storage, which removes it
        }
    }
}
