package dev.evomerge.core.safetensors;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.Reasons;
import dev.evomerge.core.io.Resources;
import dev.evomerge.core.tensor.Tensor;
import dev.evomerge.core.tensor.TensorInfo;
import dev.evomerge.core.tensor.TensorSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The weights of a model stored as safetensors: one file, or a directory holding {@code model.safetensors}, a
 * sharded model with {@code model.safetensors.index.json}, or several un-indexed {@code *.safetensors} files.
 * Tensors are listed in storage order (shards by file name, then by offset within a shard) and read zero-copy.
 */
public final class SafetensorsModel implements TensorSource {

    /** The single-file name transformers and mergekit use. */
    public static final String SINGLE_FILE_NAME = "model.safetensors";

    private final Path path;
    private final List<SafetensorsFile> files;
    private final List<String> names;
    private final Map<String, SafetensorsFile> fileOf;

    private SafetensorsModel(Path path, List<SafetensorsFile> files, List<String> names,
                             Map<String, SafetensorsFile> fileOf) {
        this.path = path;
        this.files = List.copyOf(files);
        this.names = Collections.unmodifiableList(names);
        this.fileOf = Collections.unmodifiableMap(fileOf);
    }

    /**
     * Opens {@code dirOrFile}. For a directory, in this order of preference: the index
     * {@code model.safetensors.index.json} (only the tensors it lists are exposed, each from the shard it names);
     * {@code model.safetensors}; otherwise every non-hidden {@code *.safetensors} file, sorted by name, where a
     * tensor name present in two files is an error.
     */
    public static SafetensorsModel open(Path dirOrFile) {
        if (Files.isRegularFile(dirOrFile)) {
            SafetensorsFile f = SafetensorsFile.open(dirOrFile);
            return fromWholeFiles(dirOrFile, List.of(f));
        }
        if (!Files.isDirectory(dirOrFile)) {
            throw EvomergeException.usage("Model path " + dirOrFile + " does not exist.");
        }
        Path index = dirOrFile.resolve(ShardIndex.FILE_NAME);
        if (Files.exists(index)) {
            return fromIndex(dirOrFile, ShardIndex.read(dirOrFile, index));
        }
        Path single = dirOrFile.resolve(SINGLE_FILE_NAME);
        if (Files.isRegularFile(single)) {
            return fromWholeFiles(dirOrFile, List.of(SafetensorsFile.open(single)));
        }
        List<Path> found;
        try (Stream<Path> s = Files.list(dirOrFile)) {
            found = s.filter(p -> {
                String n = p.getFileName().toString();
                return n.endsWith(".safetensors") && !n.startsWith(".") && Files.isRegularFile(p);
            }).sorted().toList();
        } catch (IOException e) {
            throw EvomergeException.usage("Model directory " + dirOrFile + " cannot be listed: " + Reasons.of(e), e);
        }
        if (found.isEmpty()) {
            throw EvomergeException.usage("Model directory " + dirOrFile + " contains no .safetensors file (nor "
                    + ShardIndex.FILE_NAME + ").");
        }
        List<SafetensorsFile> opened = new ArrayList<>();
        try {
            for (Path p : found) {
                opened.add(SafetensorsFile.open(p));
            }
            return fromWholeFiles(dirOrFile, opened);
        } catch (RuntimeException e) {
            closeAll(opened, e);
            throw e;
        }
    }

    private static SafetensorsModel fromWholeFiles(Path path, List<SafetensorsFile> opened) {
        try {
            List<String> names = new ArrayList<>();
            Map<String, SafetensorsFile> fileOf = new HashMap<>();
            for (SafetensorsFile f : opened) {
                for (String n : f.tensorNames()) {
                    SafetensorsFile other = fileOf.putIfAbsent(n, f);
                    if (other != null) {
                        throw EvomergeException.usage("Tensor '" + n + "' is in both " + other.path() + " and "
                                + f.path() + " and there is no " + ShardIndex.FILE_NAME + " to say which to use.");
                    }
                    names.add(n);
                }
            }
            return new SafetensorsModel(path, opened, names, fileOf);
        } catch (RuntimeException e) {
            closeAll(opened, e);
            throw e;
        }
    }

    private static SafetensorsModel fromIndex(Path dir, ShardIndex index) {
        // Shards in name order, and within a shard, storage order: the order a sequential reader wants.
        TreeMap<Path, List<String>> listedByShard = new TreeMap<>();
        index.shardOf().forEach((tensor, shard) -> listedByShard.computeIfAbsent(shard, k -> new ArrayList<>())
                .add(tensor));
        List<SafetensorsFile> opened = new ArrayList<>();
        try {
            List<String> names = new ArrayList<>();
            Map<String, SafetensorsFile> fileOf = new LinkedHashMap<>();
            for (Map.Entry<Path, List<String>> e : listedByShard.entrySet()) {
                Path shard = e.getKey();
                if (!Files.isRegularFile(shard)) {
                    throw EvomergeException.usage("Shard " + shard + " named in " + index.indexFile()
                            + " (for tensor '" + e.getValue().getFirst() + "') does not exist.");
                }
                SafetensorsFile f = SafetensorsFile.open(shard);
                opened.add(f);
                for (String tensor : e.getValue()) {
                    if (f.info(tensor).isEmpty()) {
                        throw EvomergeException.usage("Tensor '" + tensor + "' is listed in " + index.indexFile()
                                + " as stored in " + shard + " but that file does not contain it.");
                    }
                    fileOf.put(tensor, f);
                }
                for (String n : f.tensorNames()) {
                    if (fileOf.get(n) == f) {
                        names.add(n);
                    }
                }
            }
            return new SafetensorsModel(dir, opened, names, fileOf);
        } catch (RuntimeException e) {
            closeAll(opened, e);
            throw e;
        }
    }

    private static void closeAll(List<SafetensorsFile> opened, RuntimeException cause) {
        for (SafetensorsFile f : opened) {
            try {
                f.close();
            } catch (RuntimeException suppressed) {
                cause.addSuppressed(suppressed);
            }
        }
    }

    /** The path this model was opened from (file or directory). */
    public Path path() {
        return path;
    }

    /** The safetensors files in use, in name order. */
    public List<Path> files() {
        return files.stream().map(SafetensorsFile::path).toList();
    }

    /** The file holding a tensor, if the model has it. */
    public Optional<SafetensorsFile> fileOf(String name) {
        return Optional.ofNullable(fileOf.get(name));
    }

    @Override
    public List<String> tensorNames() {
        return names;
    }

    @Override
    public Optional<TensorInfo> info(String name) {
        SafetensorsFile f = fileOf.get(name);
        return f == null ? Optional.empty() : f.info(name);
    }

    @Override
    public Tensor tensor(String name) {
        SafetensorsFile f = fileOf.get(name);
        if (f == null) {
            throw EvomergeException.usage("Tensor '" + name + "' is not in model " + path + ".");
        }
        return f.tensor(name);
    }

    @Override
    public String description() {
        return path.toString();
    }

    /** Unmaps every file; tensors obtained from the model must not be used afterwards. */
    @Override
    public void close() {
        Resources.closeAll(files, SafetensorsFile::close);
    }

    @Override
    public String toString() {
        return "SafetensorsModel[" + path + ", " + files.size() + " files, " + names.size() + " tensors]";
    }
}
