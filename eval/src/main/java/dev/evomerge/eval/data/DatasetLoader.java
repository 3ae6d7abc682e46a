package dev.evomerge.eval.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.Reasons;
import dev.evomerge.eval.task.TaskConfig;
import dev.evomerge.eval.task.TaskFile;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Loads a task's documents from local files only (no downloads):
 * <ul>
 *   <li>{@code dataset_path: json|csv} with {@code dataset_kwargs.data_files} (a file, a list, or split -> file);
 *       relative names resolve against the task file's directory, then the working directory;</li>
 *   <li>{@code dataset_path} naming a local directory holding {@code <split>.jsonl|json|csv}
 *       (or {@code <dataset_name>/<split>.*});</li>
 *   <li>a Hugging Face hub id, looked up under the data root as
 *       {@code <root>/<dataset_path>/<dataset_name or default>/<split>.jsonl|json|csv}.</li>
 * </ul>
 * Splits are read once per loader and shared.
 */
public final class DatasetLoader {

    /** Environment variable naming the data root when {@code --data-dir} is not given. */
    public static final String DATA_ENV = "EVOMERGE_DATA";
    private static final List<String> EXTENSIONS = List.of("jsonl", "json", "csv");

    private final Optional<Path> dataRoot;
    private final Path workingDir;
    private final ObjectMapper json = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.ALLOW_NON_NUMERIC_NUMBERS);
    private final Map<String, List<Map<String, Object>>> cache = new ConcurrentHashMap<>();

    /**
     * @param dataRoot where hub datasets are laid out; empty when neither --data-dir nor EVOMERGE_DATA is set
     */
    public DatasetLoader(Optional<Path> dataRoot) {
        this(dataRoot, Path.of("").toAbsolutePath());
    }

    public DatasetLoader(Optional<Path> dataRoot, Path workingDir) {
        this.dataRoot = dataRoot.map(p -> p.toAbsolutePath().normalize());
        this.workingDir = workingDir;
    }

    /** The data root: the flag if given, else {@code $EVOMERGE_DATA}, else none. */
    public static Optional<Path> dataRoot(Optional<Path> flag) {
        if (flag.isPresent()) {
            return flag;
        }
        String env = System.getenv(DATA_ENV);
        return env == null || env.isBlank() ? Optional.empty() : Optional.of(Path.of(env));
    }

    /** The documents of one split, in file order. */
    public List<Map<String, Object>> load(TaskConfig task, String split) {
        TaskFile file = locate(task, split);
        return cache.computeIfAbsent(file.describe(), k -> read(file));
    }

    /** Which file holds {@code split} of the task's dataset; fails with a sentence naming what was looked at. */
    public TaskFile locate(TaskConfig task, String split) {
        String path = task.datasetPath();
        if (path == null) {
            throw EvomergeException.usage(task.whereIs("task") + ": task " + task.name()
                    + " has no dataset_path; set dataset_path (json, csv, a directory or a hub id)");
        }
        Object dataFiles = task.datasetKwargs().get("data_files");
        if (path.equals("json") || path.equals("csv") || path.equals("parquet") || path.equals("text")
                || path.equals("arrow")) {
            if (!path.equals("json") && !path.equals("csv")) {
                throw EvomergeException.usage(task.whereIs("dataset_path") + ": task " + task.name()
                        + " reads '" + path + "' files, which evomerge cannot read; convert them to JSON Lines "
                        + "(e.g. pandas.read_parquet(f).to_json(out, orient='records', lines=True, force_ascii=False))");
            }
            if (dataFiles == null) {
                Object dataDir = task.datasetKwargs().get("data_dir");
                if (dataDir instanceof String dir) {
                    return inDirectory(task, split, List.of(resolveLocal(task, dir)));
                }
                throw EvomergeException.usage(task.whereIs("dataset_path") + ": task " + task.name()
                        + " uses dataset_path: " + path + " but dataset_kwargs has no data_files naming the files");
            }
            return fromDataFiles(task, split, dataFiles);
        }
        List<TaskFile> dirs = localCandidates(task, path);
        Optional<TaskFile> local = find(dirs, task, split);
        if (local.isPresent()) {
            return local.get();
        }
        List<TaskFile> looked = new ArrayList<>(candidates(dirs, task, split));
        if (dataRoot.isPresent()) {
            Path base = dataRoot.get().resolve(path).resolve(task.datasetName() == null ? "default" : task.datasetName());
            List<TaskFile> hub = new ArrayList<>();
            for (String ext : EXTENSIONS) {
                hub.add(new TaskFile.OnDisk(base.resolve(split + "." + ext)));
            }
            for (TaskFile f : hub) {
                if (f.exists()) {
                    return f;
                }
            }
            looked.addAll(hub);
            throw EvomergeException.usage("dataset " + describe(task) + " split '" + split + "' for task "
                    + task.name() + " is not available offline: looked at "
                    + String.join(", ", looked.stream().map(TaskFile::describe).toList())
                    + "; place a local copy at " + base.resolve(split + ".jsonl")
                    + " (one JSON object per line, e.g. from datasets: load_dataset(...)[\"" + split
                    + "\"].to_json(path, force_ascii=False))");
        }
        throw EvomergeException.usage("dataset " + describe(task) + " split '" + split + "' for task " + task.name()
                + " is not available offline and no data root is set: pass --data-dir DIR (or set " + DATA_ENV
                + ") and place the split at DIR/" + path + "/"
                + (task.datasetName() == null ? "default" : task.datasetName()) + "/" + split
                + ".jsonl (one JSON object per line)"
                + (looked.isEmpty() ? "" : "; also looked at " + String.join(", ",
                looked.stream().map(TaskFile::describe).toList())));
    }

    private static String describe(TaskConfig task) {
        return task.datasetPath() + (task.datasetName() == null ? "" : " (" + task.datasetName() + ")");
    }

    private TaskFile fromDataFiles(TaskConfig task, String split, Object dataFiles) {
        Object entry;
        if (dataFiles instanceof Map<?, ?> m) {
            entry = m.get(split);
            if (entry == null) {
                throw EvomergeException.usage(task.whereIs("dataset_kwargs") + ": task " + task.name()
                        + " asks for split '" + split + "' but data_files defines only " + m.keySet());
            }
        } else if (split.equals("train")) {
            // datasets names the split of an unnamed data_files "train".
            entry = dataFiles;
        } else {
            throw EvomergeException.usage(task.whereIs("dataset_kwargs") + ": task " + task.name()
                    + " asks for split '" + split + "' but data_files names no splits (a single file is the 'train' "
                    + "split); write data_files as {" + split + ": FILE}");
        }
        if (entry instanceof List<?> list) {
            if (list.size() != 1) {
                throw EvomergeException.usage(task.whereIs("dataset_kwargs") + ": task " + task.name()
                        + " lists " + list.size() + " files for split '" + split + "'; evomerge reads one file per split");
            }
            entry = list.getFirst();
        }
        TaskFile f = resolveLocal(task, String.valueOf(entry));
        if (!f.exists()) {
            throw EvomergeException.usage(task.whereIs("dataset_kwargs") + ": data file " + f.describe()
                    + " for split '" + split + "' of task " + task.name() + " does not exist"
                    + " (relative data_files resolve against the task file's directory, then the working directory)");
        }
        return f;
    }

    private TaskFile resolveLocal(TaskConfig task, String name) {
        TaskFile nextToTask = task.origin().resolve(name);
        if (nextToTask.exists() || nextToTask.localPath().map(Files::isDirectory).orElse(false)) {
            return nextToTask;
        }
        Path p = workingDir.resolve(name);
        if (Files.exists(p)) {
            return new TaskFile.OnDisk(p);
        }
        return nextToTask;
    }

    /** Directories that {@code dataset_path} may name: next to the task file, then in the working directory. */
    private List<TaskFile> localCandidates(TaskConfig task, String path) {
        List<TaskFile> out = new ArrayList<>();
        TaskFile nextToTask = task.origin().resolve(path);
        if (nextToTask.isDirectory()) {
            out.add(nextToTask);
        }
        Path inCwd = workingDir.resolve(path);
        if (Files.isDirectory(inCwd) && !out.contains(new TaskFile.OnDisk(inCwd))) {
            out.add(new TaskFile.OnDisk(inCwd));
        }
        return out;
    }

    private TaskFile inDirectory(TaskConfig task, String split, List<TaskFile> dirs) {
        return find(dirs, task, split).orElseThrow(() -> EvomergeException.usage("dataset " + describe(task)
                + " split '" + split + "' for task " + task.name() + " was not found: looked at "
                + String.join(", ", candidates(dirs, task, split).stream().map(TaskFile::describe).toList())));
    }

    private Optional<TaskFile> find(List<TaskFile> dirs, TaskConfig task, String split) {
        return candidates(dirs, task, split).stream().filter(TaskFile::exists).findFirst();
    }

    private List<TaskFile> candidates(List<TaskFile> dirs, TaskConfig task, String split) {
        List<TaskFile> out = new ArrayList<>();
        for (TaskFile dir : dirs) {
            for (String ext : EXTENSIONS) {
                if (task.datasetName() != null) {
                    out.add(dir.child(task.datasetName() + "/" + split + "." + ext));
                }
                out.add(dir.child(split + "." + ext));
            }
        }
        return out;
    }

    private List<Map<String, Object>> read(TaskFile file) {
        String name = file.describe();
        String text = file.read();
        List<Map<String, Object>> rows;
        if (name.endsWith(".csv")) {
            rows = CsvTable.parse(text, name);
        } else {
            rows = readJson(text, name);
        }
        List<Map<String, Object>> out = new ArrayList<>(rows.size());
        for (Map<String, Object> row : rows) {
            out.add(Collections.unmodifiableMap(row));
        }
        return Collections.unmodifiableList(out);
    }

    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> readJson(String text, String where) {
        String trimmed = text.stripLeading();
        try {
            if (trimmed.startsWith("[")) {
                Object all = json.readValue(trimmed, Object.class);
                List<Map<String, Object>> out = new ArrayList<>();
                for (Object o : (List<Object>) all) {
                    out.add(record(o, where, out.size() + 1));
                }
                return out;
            }
            List<Map<String, Object>> out = new ArrayList<>();
            try (MappingIterator<Object> it = json.readerFor(Object.class).readValues(text)) {
                while (it.hasNextValue()) {
                    out.add(record(it.nextValue(), where, out.size() + 1));
                }
            }
            return out;
        } catch (JsonProcessingException e) {
            throw EvomergeException.usage("malformed JSON in " + where + ": " + Reasons.json(e) + ".", e);
        } catch (IOException e) {
            throw EvomergeException.runtime("cannot read " + where + ": " + Reasons.of(e), e);
        } catch (RuntimeException e) {
            if (e.getCause() instanceof JsonProcessingException jpe) {
                throw EvomergeException.usage("malformed JSON in " + where + ": " + Reasons.json(jpe) + ".", jpe);
            }
            throw e;
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> record(Object o, String where, int n) {
        if (!(o instanceof Map<?, ?>)) {
            throw EvomergeException.usage(where + ": record " + n + " is not a JSON object");
        }
        return (Map<String, Object>) normalise(o);
    }

    /** JSON ints become Long (BigInteger when large), objects keep their key order. */
    private static Object normalise(Object o) {
        return switch (o) {
            case Map<?, ?> m -> {
                Map<String, Object> out = new LinkedHashMap<>();
                m.forEach((k, v) -> out.put(String.valueOf(k), normalise(v)));
                yield out;
            }
            case List<?> l -> {
                List<Object> out = new ArrayList<>(l.size());
                l.forEach(v -> out.add(normalise(v)));
                yield out;
            }
            case BigInteger b -> b.bitLength() < 64 ? (Object) b.longValue() : b;
            case Integer i -> i.longValue();
            case null, default -> o;
        };
    }
}
