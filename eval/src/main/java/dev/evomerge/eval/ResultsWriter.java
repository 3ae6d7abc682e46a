package dev.evomerge.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.Reasons;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes the results file and, with --log-samples, one {@code samples_<task>_<time>.jsonl} per task. An output path
 * ending in {@code .json} is the results file itself (samples go next to it); any other path is a directory that
 * receives {@code <model>/results_<time>.json} as lm-eval lays it out. Each file is written to a temporary sibling
 * and renamed when complete.
 */
public final class ResultsWriter {

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH-mm-ss.SSSSSS");
    private static final ObjectMapper JSON = new ObjectMapper();

    private ResultsWriter() {
    }

    /** The files written. */
    public record Written(Path results, List<Path> samples) {
        public Written {
            samples = List.copyOf(samples);
        }
    }

    /**
     * Refuses, before the evaluation, an {@code --output-path} whose folder could never be written (a file on its
     * path, a folder this user cannot write): the work would otherwise be lost at the end.
     */
    public static void checkWritable(Path outputPath) {
        Path abs = outputPath.toAbsolutePath();
        boolean file = abs.getFileName() != null && abs.getFileName().toString().endsWith(".json");
        dev.evomerge.core.io.OutputFolders.requireCreatable(file ? abs.getParent() : abs, "--output-path " + outputPath);
    }

    /** Writes the results (and samples when the run kept them). */
    public static Written write(EvaluationResults r, Path outputPath, LocalDateTime now) {
        String stamp = STAMP.format(now);
        Path resultsFile;
        Path dir;
        if (outputPath.getFileName() != null && outputPath.getFileName().toString().endsWith(".json")) {
            resultsFile = outputPath.toAbsolutePath();
            dir = resultsFile.getParent();
        } else {
            String model = ResultsJson.sanitize(r.model());
            // a model called "." or ".." (--model ..) must not turn into the output folder or its parent
            dir = outputPath.toAbsolutePath().resolve(model.matches("\\.*") ? "_" + model : model);
            resultsFile = dir.resolve("results_" + stamp + ".json");
        }
        double date = now.atZone(java.time.ZoneId.systemDefault()).toInstant().toEpochMilli() / 1000.0;
        try {
            Files.createDirectories(dir);
            atomicWrite(resultsFile, ResultsJson.toText(r, date));
            List<Path> samples = new ArrayList<>();
            if (r.options().logSamples()) {
                Set<String> used = new HashSet<>();
                for (TaskResult t : r.tasks()) {
                    Path f = dir.resolve(samplesFileName(t.name(), stamp, used));
                    StringBuilder lines = new StringBuilder();
                    for (Map<String, Object> s : t.samples()) {
                        lines.append(JSON.writeValueAsString(ResultsJson.plain(s))).append('\n');
                    }
                    atomicWrite(f, lines.toString());
                    samples.add(f);
                }
            }
            return new Written(resultsFile, samples);
        } catch (IOException e) {
            throw EvomergeException.runtime("cannot write results to " + resultsFile + ": " + Reasons.of(e), e);
        }
    }

    /**
     * lm-eval's {@code samples_<task>_<date>.jsonl} with the task name made safe as a file name: path separators
     * and the other characters lm-eval's sanitizer replaces become {@code __}, control characters {@code _}, so a
     * task named {@code ../x} cannot write outside the output folder. Two tasks whose safe names coincide get
     * {@code _2}, {@code _3}... so neither file replaces the other.
     */
    static String samplesFileName(String task, String stamp, Set<String> used) {
        String safe = ResultsJson.sanitize(task).replaceAll("[\\x00-\\x1f\\x7f]", "_");
        String name = "samples_" + safe + "_" + stamp + ".jsonl";
        for (int n = 2; !used.add(name); n++) {
            name = "samples_" + safe + "_" + n + "_" + stamp + ".jsonl";
        }
        return name;
    }

    private static void atomicWrite(Path target, String text) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            w.write(text);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
