package dev.evomerge.dashboard;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.Reasons;
import dev.evomerge.evolve.store.RunStore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The runs a dashboard shows: the storage path itself when it holds a run.db, else each sub-folder that holds one.
 * Run names are looked up here and never used as paths, so a request cannot reach other files.
 */
public final class RunCatalog {

    private final Path root;

    public RunCatalog(Path root) {
        if (!Files.isDirectory(root)) {
            throw EvomergeException.usage("The storage path " + root + " is not a directory.");
        }
        this.root = root;
    }

    public Path root() {
        return root;
    }

    /** Run name -> storage folder, in name order; re-read on each call so new runs appear. */
    public Map<String, Path> runs() {
        Map<String, Path> out = new LinkedHashMap<>();
        if (Files.isRegularFile(root.resolve(RunStore.FILE_NAME))) {
            out.put(nameOf(root), root);
            return out;
        }
        try (Stream<Path> children = Files.list(root)) {
            children.filter(p -> Files.isRegularFile(p.resolve(RunStore.FILE_NAME))).sorted()
                    .forEach(p -> out.put(p.getFileName().toString(), p));
        } catch (IOException e) {
            throw EvomergeException.runtime("Cannot list " + root + ": " + Reasons.of(e), e);
        }
        return out;
    }

    public Optional<Path> find(String name) {
        return Optional.ofNullable(runs().get(name));
    }

    /** Reads one run's summary through a read-only connection. */
    public RunSummary read(String name, Path folder) {
        try (RunStore store = RunStore.openReadOnly(folder)) {
            return RunSummary.read(name, store);
        }
    }

    private static String nameOf(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        return abs.getFileName() == null ? "run" : abs.getFileName().toString();
    }
}
