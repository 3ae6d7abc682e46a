package dev.evomerge.evolve.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A run.db written before candidates were stored through one result type and typed metric keys: a real
 * {@code evomerge evolve} of the demo's genome (task_arithmetic over two fine-tunes, genome (2, 2, 1, 1)) with
 * {@code --optimizer cmaes --max-generation 2 --timeout 1}, so that 14 of its 24 candidates timed out. Its
 * best_config.yaml and summary.json are the files that run wrote.
 */
public final class RunBeforeTypedResults {

    public static final String TASK = "hidden_recipe_mc";
    public static final int CANDIDATES = 24;
    public static final int FAILED = 14;
    public static final int LAST_GENERATION = 2;
    public static final String LAYOUT_JSON = "{\"method\":\"task_arithmetic\",\"dimensions\":[2,2,1,1],"
            + "\"models\":[\"/tmp/results-demo/w/models/finetune-a\",\"/tmp/results-demo/w/models/finetune-b\"],"
            + "\"parameters\":[\"weight\"],\"filters\":[],\"layer_ranges\":[[0,2],[2,4]]}";

    private static final String FOLDER = "/dev/evomerge/evolve/store/run-before-typed-results/";

    /** Copies the run into {@code storage} (created if missing): run.db, best_config.yaml and summary.json. */
    public static Path copyTo(Path storage) {
        try {
            Files.createDirectories(storage);
            for (String name : new String[] {RunStore.FILE_NAME, "best_config.yaml", "summary.json"}) {
                try (InputStream in = RunBeforeTypedResults.class.getResourceAsStream(FOLDER + name)) {
                    Files.copy(in, storage.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            return storage;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The text of one of the run's files. */
    public static String text(String name) {
        try (InputStream in = RunBeforeTypedResults.class.getResourceAsStream(FOLDER + name)) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private RunBeforeTypedResults() {
    }
}
